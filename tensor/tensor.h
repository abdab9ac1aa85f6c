#pragma once
// Tensor: a strided view (shape, strides, offset, dtype) of a shared Storage.
//
// Views (view/reshape of contiguous data, permute, transpose, slice, select, expand,
// unsqueeze/squeeze) share storage and never copy; contiguous() and clone() copy.
// Row-major, PyTorch's dimension order. This class carries no autograd state: see
// autograd/variable.h for the graph.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tensor/device.h"
#include "tensor/dtype.h"
#include "tensor/shape.h"
#include "tensor/storage.h"

namespace uniad {

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor (defined() == false)

  // ---- factories (always contiguous) ----
  static Tensor empty(const Shape& shape, DType dtype = DType::Float32, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype = DType::Float32, Device device = Device::cpu());
  static Tensor ones(const Shape& shape, DType dtype = DType::Float32, Device device = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dtype = DType::Float32, Device device = Device::cpu());
  static Tensor scalar(double value, DType dtype = DType::Float32);  // shape []
  // Values in row-major order; values.size() must equal the shape's element count.
  static Tensor from_vector(const std::vector<double>& values, const Shape& shape, DType dtype = DType::Float32);
  static Tensor from_indices(const std::vector<int64_t>& values, const Shape& shape);  // int64
  static Tensor arange(int64_t n, DType dtype = DType::Float32);  // 0, 1, ..., n-1

  // ---- metadata ----
  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  const Shape& strides() const { return strides_; }
  int64_t offset() const { return offset_; }
  int64_t dim() const { return static_cast<int64_t>(shape_.size()); }
  int64_t size(int64_t axis) const;  // negative axes count from the end
  int64_t numel() const { return numel_of(shape_); }
  DType dtype() const { return dtype_; }
  Device device() const;
  bool is_contiguous() const;
  bool shares_storage(const Tensor& other) const { return storage_ == other.storage_; }
  const std::shared_ptr<Storage>& storage() const { return storage_; }

  // Pointer to element 0 of this view; T must match the dtype.
  template <typename T> T* data();
  template <typename T> const T* data() const;
  // Element 0 of this view as bytes, for copies that do not care about the dtype.
  void* raw_data();
  const void* raw_data() const;

  // ---- views: share storage ----
  Tensor view(const Shape& shape) const;     // contiguous tensors only; one -1 allowed
  Tensor reshape(const Shape& shape) const;  // a view when possible, else a contiguous copy
  Tensor permute(const std::vector<int64_t>& order) const;
  Tensor transpose(int64_t a, int64_t b) const;
  Tensor slice(int64_t axis, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor select(int64_t axis, int64_t index) const;  // removes `axis`
  Tensor expand(const Shape& shape) const;           // broadcast view, stride 0 on new/size-1 axes
  Tensor unsqueeze(int64_t axis) const;
  Tensor squeeze(int64_t axis) const;

  // ---- copies ----
  Tensor contiguous() const;  // returns *this when already contiguous
  Tensor clone() const;       // always a fresh contiguous copy
  Tensor to(DType dtype) const;
  // The same values on `device` (a host/GPU copy; returns *this when already there). Views
  // are made contiguous on their own device first, so only the viewed elements travel.
  Tensor to(Device device) const;

  // ---- in place ----
  Tensor& fill_(double value);
  Tensor& copy_(const Tensor& src);  // src is broadcast to this shape and converted to this dtype

  // ---- element access for tests and small tools (slow; GPU tensors go through a host copy) ----
  double item() const;  // one-element tensors
  double at(const Shape& index) const;
  void set(const Shape& index, double value);
  std::vector<double> to_vector() const;  // row-major
  std::string str() const;                // "Tensor float32 [2, 3] {...}"

 private:
  Tensor(std::shared_ptr<Storage> storage, Shape shape, Shape strides, int64_t offset, DType dtype);
  int64_t element_offset(const Shape& index) const;

  std::shared_ptr<Storage> storage_;
  Shape shape_;
  Shape strides_;
  int64_t offset_ = 0;  // in elements
  DType dtype_ = DType::Float32;
};

template <typename T>
T* Tensor::data() {
  UNIAD_CHECK(defined(), "Tensor::data: undefined tensor");
  UNIAD_CHECK(dtype_of<T>() == dtype_, "Tensor::data: requested ", dtype_name(dtype_of<T>()), " from a ",
              dtype_name(dtype_), " tensor of shape ", shape_str(shape_));
  return static_cast<T*>(storage_->data()) + offset_;
}

template <typename T>
const T* Tensor::data() const {
  return const_cast<Tensor*>(this)->data<T>();
}

}  // namespace uniad

#include "tensor/tensor.h"

#include <cstring>
#include <sstream>

#include "tensor/cuda/backend.h"
#include "tensor/strided_loop.h"

namespace uniad {

Tensor::Tensor(std::shared_ptr<Storage> storage, Shape shape, Shape strides, int64_t offset, DType dtype)
    : storage_(std::move(storage)), shape_(std::move(shape)), strides_(std::move(strides)), offset_(offset),
      dtype_(dtype) {}

// ---------------------------------------------------------------- factories
Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  for (int64_t d : shape) UNIAD_CHECK(d >= 0, "Tensor::empty: negative dimension in ", shape_str(shape));
  auto storage = std::make_shared<Storage>(static_cast<size_t>(numel_of(shape)) * dtype_size(dtype), device);
  return Tensor(std::move(storage), shape, contiguous_strides(shape), 0, dtype);
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) { return full(shape, 0.0, dtype, device); }
Tensor Tensor::ones(const Shape& shape, DType dtype, Device device) { return full(shape, 1.0, dtype, device); }

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.fill_(value);
  return t;
}

Tensor Tensor::scalar(double value, DType dtype) { return full({}, value, dtype); }

Tensor Tensor::from_vector(const std::vector<double>& values, const Shape& shape, DType dtype) {
  UNIAD_CHECK(static_cast<int64_t>(values.size()) == numel_of(shape), "Tensor::from_vector: ", values.size(),
              " values for shape ", shape_str(shape));
  Tensor t = empty(shape, dtype);
  switch (dtype) {
    case DType::Float32: for (size_t i = 0; i < values.size(); ++i) t.data<float>()[i] = static_cast<float>(values[i]); break;
    case DType::Float64:  // an empty vector's data() may be null, which memcpy must not see
      if (!values.empty()) std::memcpy(t.data<double>(), values.data(), values.size() * sizeof(double));
      break;
    case DType::Int64: for (size_t i = 0; i < values.size(); ++i) t.data<int64_t>()[i] = static_cast<int64_t>(values[i]); break;
  }
  return t;
}

Tensor Tensor::from_indices(const std::vector<int64_t>& values, const Shape& shape) {
  UNIAD_CHECK(static_cast<int64_t>(values.size()) == numel_of(shape), "Tensor::from_indices: ", values.size(),
              " values for shape ", shape_str(shape));
  Tensor t = empty(shape, DType::Int64);
  if (!values.empty()) std::memcpy(t.data<int64_t>(), values.data(), values.size() * sizeof(int64_t));
  return t;
}

Tensor Tensor::arange(int64_t n, DType dtype) {
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<double>(i);
  return from_vector(v, {n}, dtype);
}

// ---------------------------------------------------------------- metadata
int64_t Tensor::size(int64_t axis) const { return shape_[normalize_axis(axis, dim(), "Tensor::size")]; }

Device Tensor::device() const { return storage_ ? storage_->device() : Device::cpu(); }

void* Tensor::raw_data() {
  UNIAD_CHECK(defined(), "Tensor::raw_data: undefined tensor");
  return static_cast<char*>(storage_->data()) + offset_ * static_cast<int64_t>(dtype_size(dtype_));
}

const void* Tensor::raw_data() const { return const_cast<Tensor*>(this)->raw_data(); }

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int i = static_cast<int>(shape_.size()) - 1; i >= 0; --i) {
    if (shape_[i] == 1) continue;
    if (strides_[i] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

// ---------------------------------------------------------------- views
Tensor Tensor::view(const Shape& shape) const {
  Shape resolved = shape;
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < resolved.size(); ++i) {
    if (resolved[i] == -1) {
      UNIAD_CHECK(infer < 0, "view: more than one -1 in ", shape_str(shape));
      infer = static_cast<int>(i);
    } else {
      known *= resolved[i];
    }
  }
  if (infer >= 0) {
    UNIAD_CHECK(known > 0 && numel() % known == 0, "view: cannot view ", shape_str(shape_), " as ", shape_str(shape));
    resolved[infer] = numel() / known;
  }
  UNIAD_CHECK(numel_of(resolved) == numel(), "view: ", shape_str(shape_), " has ", numel(),
              " elements, target ", shape_str(shape), " has ", numel_of(resolved));
  UNIAD_CHECK(is_contiguous(), "view: tensor of shape ", shape_str(shape_), " is not contiguous; use reshape");
  return Tensor(storage_, resolved, contiguous_strides(resolved), offset_, dtype_);
}

Tensor Tensor::reshape(const Shape& shape) const { return is_contiguous() ? view(shape) : contiguous().view(shape); }

Tensor Tensor::permute(const std::vector<int64_t>& order) const {
  UNIAD_CHECK(static_cast<int64_t>(order.size()) == dim(), "permute: order of length ", order.size(),
              " for a tensor of shape ", shape_str(shape_));
  Shape shape(order.size()), strides(order.size());
  std::vector<bool> seen(order.size(), false);
  for (size_t i = 0; i < order.size(); ++i) {
    const int a = normalize_axis(order[i], dim(), "permute");
    UNIAD_CHECK(!seen[a], "permute: axis ", a, " repeated in the order for shape ", shape_str(shape_));
    seen[a] = true;
    shape[i] = shape_[a];
    strides[i] = strides_[a];
  }
  return Tensor(storage_, shape, strides, offset_, dtype_);
}

Tensor Tensor::transpose(int64_t a, int64_t b) const {
  std::vector<int64_t> order(dim());
  for (int64_t i = 0; i < dim(); ++i) order[i] = i;
  std::swap(order[normalize_axis(a, dim(), "transpose")], order[normalize_axis(b, dim(), "transpose")]);
  return permute(order);
}

Tensor Tensor::slice(int64_t axis, int64_t start, int64_t end, int64_t step) const {
  const int a = normalize_axis(axis, dim(), "slice");
  const int64_t n = shape_[a];
  if (start < 0) start += n;
  if (end < 0) end += n;
  end = std::min(end, n);
  UNIAD_CHECK(step > 0 && start >= 0 && start <= end, "slice: range [", start, ", ", end, ") step ", step,
              " invalid for axis ", a, " of shape ", shape_str(shape_));
  Shape shape = shape_, strides = strides_;
  shape[a] = (end - start + step - 1) / step;
  strides[a] = strides_[a] * step;
  return Tensor(storage_, shape, strides, offset_ + start * strides_[a], dtype_);
}

Tensor Tensor::select(int64_t axis, int64_t index) const {
  const int a = normalize_axis(axis, dim(), "select");
  if (index < 0) index += shape_[a];
  UNIAD_CHECK(index >= 0 && index < shape_[a], "select: index ", index, " out of range for axis ", a,
              " of shape ", shape_str(shape_));
  Shape shape = shape_, strides = strides_;
  shape.erase(shape.begin() + a);
  strides.erase(strides.begin() + a);
  return Tensor(storage_, shape, strides, offset_ + index * strides_[a], dtype_);
}

Tensor Tensor::expand(const Shape& shape) const {
  UNIAD_CHECK(shape.size() >= shape_.size(), "expand: cannot expand ", shape_str(shape_), " to ", shape_str(shape));
  const size_t lead = shape.size() - shape_.size();
  for (size_t i = 0; i < shape_.size(); ++i)
    UNIAD_CHECK(shape_[i] == shape[lead + i] || shape_[i] == 1, "expand: cannot expand ", shape_str(shape_), " to ",
                shape_str(shape));
  return Tensor(storage_, shape, broadcast_strides(shape_, strides_, shape), offset_, dtype_);
}

Tensor Tensor::unsqueeze(int64_t axis) const {
  const int a = normalize_axis(axis, dim() + 1, "unsqueeze");
  Shape shape = shape_, strides = strides_;
  const int64_t stride = a < dim() ? shape_[a] * strides_[a] : 1;
  shape.insert(shape.begin() + a, 1);
  strides.insert(strides.begin() + a, stride);
  return Tensor(storage_, shape, strides, offset_, dtype_);
}

Tensor Tensor::squeeze(int64_t axis) const {
  const int a = normalize_axis(axis, dim(), "squeeze");
  UNIAD_CHECK(shape_[a] == 1, "squeeze: axis ", a, " of shape ", shape_str(shape_), " is not 1");
  Shape shape = shape_, strides = strides_;
  shape.erase(shape.begin() + a);
  strides.erase(strides.begin() + a);
  return Tensor(storage_, shape, strides, offset_, dtype_);
}

// ---------------------------------------------------------------- copies
namespace {

template <typename Dst, typename Src>
void copy_convert(Tensor& dst, const Tensor& src) {
  Dst* d = dst.data<Dst>();
  const Src* s = src.data<Src>();
  const Shape src_strides = broadcast_strides(src.shape(), src.strides(), dst.shape());
  strided_rows<2>(dst.shape(), {&dst.strides(), &src_strides}, [&](const int64_t* off, int64_t n, const int64_t* st) {
    Dst* dp = d + off[0];
    const Src* sp = s + off[1];
    for (int64_t i = 0; i < n; ++i) dp[i * st[0]] = static_cast<Dst>(sp[i * st[1]]);
  });
}

template <typename Dst>
void copy_from(Tensor& dst, const Tensor& src) {
  switch (src.dtype()) {
    case DType::Float32: copy_convert<Dst, float>(dst, src); break;
    case DType::Float64: copy_convert<Dst, double>(dst, src); break;
    case DType::Int64: copy_convert<Dst, int64_t>(dst, src); break;
  }
}

}  // namespace

Tensor& Tensor::copy_(const Tensor& src) {
  UNIAD_CHECK(defined() && src.defined(), "copy_: undefined tensor");
  UNIAD_CHECK(broadcast_shapes(src.shape(), shape_, "copy_") == shape_, "copy_: cannot broadcast source ",
              shape_str(src.shape()), " to destination ", shape_str(shape_));
  if (src.device() != device()) {
    // Across devices: bring the source over as it is (small: a scalar for fill_), then let
    // this device broadcast and convert it. Only contiguous bytes travel.
    return copy_(src.to(device()));
  }
  if (!device().is_cpu()) {
    cuda::copy_strided(*this, src);
    return *this;
  }
  switch (dtype_) {
    case DType::Float32: copy_from<float>(*this, src); break;
    case DType::Float64: copy_from<double>(*this, src); break;
    case DType::Int64: copy_from<int64_t>(*this, src); break;
  }
  return *this;
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape_, dtype_, device());
  out.copy_(*this);
  return out;
}

Tensor Tensor::to(DType dtype) const {
  if (dtype == dtype_) return *this;
  Tensor out = empty(shape_, dtype, device());
  out.copy_(*this);
  return out;
}

Tensor Tensor::to(Device device) const {
  if (!defined() || device == this->device()) return *this;
  const Tensor src = contiguous();
  Tensor out = empty(shape_, dtype_, device);
  cuda::copy_bytes(out.raw_data(), device, src.raw_data(), src.device(), numel() * dtype_size(dtype_));
  return out;
}

Tensor& Tensor::fill_(double value) {
  return copy_(Tensor::from_vector({value}, {}, dtype_));
}

// ---------------------------------------------------------------- element access
namespace {

// The one-element view at `index` (shape []), checked like element_offset.
Tensor select_element(Tensor t, const Shape& index) {
  UNIAD_CHECK(static_cast<int64_t>(index.size()) == t.dim(), "Tensor::at: index of rank ", index.size(),
              " for shape ", shape_str(t.shape()));
  const Shape shape = t.shape();
  for (size_t d = 0; d < index.size(); ++d) {
    UNIAD_CHECK(index[d] >= 0 && index[d] < shape[d], "Tensor::at: index ", shape_str(index),
                " out of range for shape ", shape_str(shape));
    t = t.select(0, index[d]);
  }
  return t;
}

}  // namespace

int64_t Tensor::element_offset(const Shape& index) const {
  UNIAD_CHECK(index.size() == shape_.size(), "Tensor::at: index of rank ", index.size(), " for shape ",
              shape_str(shape_));
  int64_t off = offset_;
  for (size_t i = 0; i < index.size(); ++i) {
    UNIAD_CHECK(index[i] >= 0 && index[i] < shape_[i], "Tensor::at: index ", shape_str(index),
                " out of range for shape ", shape_str(shape_));
    off += index[i] * strides_[i];
  }
  return off;
}

double Tensor::at(const Shape& index) const {
  if (!device().is_cpu()) return select_element(*this, index).to(Device::cpu()).at({});
  const int64_t off = element_offset(index);
  const void* base = storage_->data();
  switch (dtype_) {
    case DType::Float32: return static_cast<const float*>(base)[off];
    case DType::Float64: return static_cast<const double*>(base)[off];
    case DType::Int64: return static_cast<double>(static_cast<const int64_t*>(base)[off]);
  }
  return 0;
}

void Tensor::set(const Shape& index, double value) {
  if (!device().is_cpu()) {
    select_element(*this, index).fill_(value);
    return;
  }
  const int64_t off = element_offset(index);
  void* base = storage_->data();
  switch (dtype_) {
    case DType::Float32: static_cast<float*>(base)[off] = static_cast<float>(value); break;
    case DType::Float64: static_cast<double*>(base)[off] = value; break;
    case DType::Int64: static_cast<int64_t*>(base)[off] = static_cast<int64_t>(value); break;
  }
}

double Tensor::item() const {
  UNIAD_CHECK(numel() == 1, "item: tensor of shape ", shape_str(shape_), " has ", numel(), " elements, not 1");
  return to_vector()[0];
}

std::vector<double> Tensor::to_vector() const {
  const Tensor d = to(Device::cpu()).to(DType::Float64).contiguous();
  const double* p = d.data<double>();
  return std::vector<double>(p, p + d.numel());
}

std::string Tensor::str() const {
  if (!defined()) return "Tensor (undefined)";
  std::ostringstream out;
  out << "Tensor " << dtype_name(dtype_) << ' ' << shape_str(shape_) << " {";
  const auto v = to_vector();
  for (size_t i = 0; i < v.size() && i < 32; ++i) out << (i ? ", " : "") << v[i];
  if (v.size() > 32) out << ", ...";
  out << '}';
  return out.str();
}

}  // namespace uniad

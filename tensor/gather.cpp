#include "tensor/gather.h"

#include <algorithm>

#include "tensor/cuda/backend.h"
#include "tensor/strided_loop.h"

namespace uniad::ops {

namespace {

// The multi-index of element `flat` of a row-major tensor of `shape`, for error messages.
Shape unravel(int64_t flat, const Shape& shape) {
  Shape index(shape.size());
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return index;
}

// Throws on the first index outside [0, num_rows). It runs before the copy loops because an
// exception must never escape an OpenMP parallel region. `indices` is contiguous int64.
void check_indices(const Tensor& indices, int64_t num_rows, const Shape& table_shape, const char* op) {
  const int64_t* ip = indices.data<int64_t>();
  for (int64_t p = 0; p < indices.numel(); ++p) {
    if (ip[p] >= 0 && ip[p] < num_rows) continue;
    throw Error(cat(op, ": index ", ip[p], " at position ", shape_str(unravel(p, indices.shape())), " of indices ",
                    shape_str(indices.shape()), " is out of range [0, V) with V = ", num_rows, " (weight ",
                    shape_str(table_shape), ")"));
  }
}

void check_index_dtype(const Tensor& indices, const char* op) {
  UNIAD_CHECK(indices.defined(), op, ": undefined indices");
  UNIAD_CHECK(indices.dtype() == DType::Int64, op, ": indices must be int64, got ", dtype_name(indices.dtype()), " ",
              shape_str(indices.shape()));
}

}  // namespace

Tensor gather_rows(const Tensor& weight, const Tensor& indices, const char* op) {
  UNIAD_CHECK(weight.defined(), op, ": undefined weight");
  check_index_dtype(indices, op);
  UNIAD_CHECK(weight.dim() == 2, op, ": weight must be [V, D], got ", shape_str(weight.shape()));
  const int64_t V = weight.size(0), D = weight.size(1);
  const bool gpu = cuda::on_gpu(op, weight, indices);
  const Tensor idx = indices.contiguous();  // [...], read in row-major order
  // Checked on the host for either device (indices are small), so the errors read the same.
  check_indices(idx.to(Device::cpu()), V, weight.shape(), op);
  if (gpu) return cuda::gather_rows(weight, idx, op);

  Shape out_shape = indices.shape();
  out_shape.push_back(D);
  return dispatch_float(weight.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const Tensor table = weight.contiguous();               // [V, D]
    Tensor out = Tensor::empty(out_shape, weight.dtype());  // [..., D]
    const T* w = table.data<T>();
    const int64_t* ip = idx.data<int64_t>();
    T* o = out.data<T>();
    const int64_t n = idx.numel();
    // Each position writes its own output row, so positions split freely across threads.
#pragma omp parallel for schedule(static) if (n * D >= kParallelGrain && n > 1)
    for (int64_t p = 0; p < n; ++p) std::copy_n(w + ip[p] * D, D, o + p * D);
    return out;
  });
}

Tensor scatter_add_rows(const Tensor& grad, const Tensor& indices, int64_t num_rows, const char* op) {
  UNIAD_CHECK(grad.defined(), op, ": undefined gradient");
  check_index_dtype(indices, op);
  UNIAD_CHECK(num_rows >= 0, op, ": negative number of rows ", num_rows);
  Shape expected = indices.shape();
  expected.push_back(grad.dim() >= 1 ? grad.size(-1) : 0);
  UNIAD_CHECK(grad.dim() == indices.dim() + 1 && grad.shape() == expected, op, ": gradient ",
              shape_str(grad.shape()), " does not match indices ", shape_str(indices.shape()), " plus a row axis");
  const int64_t D = grad.size(-1);
  const bool gpu = cuda::on_gpu(op, grad, indices);
  const Tensor idx = indices.contiguous().to(Device::cpu());  // [...], on the host for either device
  check_indices(idx, num_rows, {num_rows, D}, op);
  if (gpu) return cuda::scatter_add_rows(grad, idx, num_rows, op);

  return dispatch_float(grad.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const Tensor g = grad.contiguous();                       // [..., D]
    Tensor out = Tensor::zeros({num_rows, D}, grad.dtype());  // [V, D]
    const T* gp = g.data<T>();
    const int64_t* ip = idx.data<int64_t>();
    T* o = out.data<T>();
    // Serial on purpose: two positions may name the same row, and threads splitting the
    // positions would race on it. One pass in row-major order also fixes the summation order,
    // so gradients are reproducible bit for bit.
    for (int64_t p = 0; p < idx.numel(); ++p) {
      T* dst = o + ip[p] * D;
      const T* src = gp + p * D;
      for (int64_t j = 0; j < D; ++j) dst[j] += src[j];
    }
    return out;
  });
}

}  // namespace uniad::ops

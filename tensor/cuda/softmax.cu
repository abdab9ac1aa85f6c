// Softmax over the last axis with an optional additive mask, forward and backward, on the GPU.
// Mirrors tensor/softmax.cpp row for row: z = x + mask staged in the output, max subtracted,
// the total summed in double, a fully excluded row (max = -inf) written as zeros.
//
// A row of up to 1024 elements (attention rows of 7, 49 or 196 keys) is one warp's work; longer
// rows get a block each (tensor/cuda/row_reduce.cuh). Each thread re-reads only the elements it
// wrote itself, so the passes over a row need no barrier between them.
#include <cmath>
#include <type_traits>

#include "tensor/cuda/row_reduce.cuh"

namespace uniad::cuda {

namespace {

// x [rows, n] through xv (any strides), mask through mv (broadcast strides; nullptr for none),
// y [rows, n] contiguous.
template <typename T, typename Group>
__global__ void softmax_forward_kernel(const T* x, RowView xv, const T* mask, RowView mv, T* y, int64_t rows,
                                       int64_t n) {
  __shared__ double scratch[kWarpSize];
  Group group{};
  if constexpr (std::is_same_v<Group, BlockReduce>) group.scratch = scratch;
  const T minus_inf = minus_infinity<T>();
  for (int64_t r = first_row(group); r < rows; r += row_stride(group)) {
    const T* xr = x + xv.rows.offset(r);
    const T* mr = mask ? mask + mv.rows.offset(r) : nullptr;
    T* yr = y + r * n;
    T max_z = minus_inf;
    for (int64_t j = group.rank(); j < n; j += group.size()) {
      const T z = xr[j * xv.step] + (mr ? mr[j * mv.step] : T(0));
      yr[j] = z;
      max_z = max_ignoring_nan(max_z, z);
    }
    max_z = group.max(max_z);
    if (max_z == minus_inf) {  // every position excluded: zeros (NaN logits stay NaN)
      for (int64_t j = group.rank(); j < n; j += group.size())
        if (!isnan(yr[j])) yr[j] = T(0);
      continue;
    }
    double total = 0;
    for (int64_t j = group.rank(); j < n; j += group.size()) {
      const T e = exp_of(yr[j] - max_z);
      yr[j] = e;
      total += e;
    }
    const T inv_total = static_cast<T>(1.0 / group.sum(total));
    for (int64_t j = group.rank(); j < n; j += group.size()) yr[j] *= inv_total;
  }
}

// dx = y (g - sum(g y)) per row; g and y through their views, dx [rows, n] contiguous.
template <typename T, typename Group>
__global__ void softmax_backward_kernel(const T* g, RowView gv, const T* y, RowView yv, T* dx, int64_t rows,
                                        int64_t n) {
  __shared__ double scratch[kWarpSize];
  Group group{};
  if constexpr (std::is_same_v<Group, BlockReduce>) group.scratch = scratch;
  for (int64_t r = first_row(group); r < rows; r += row_stride(group)) {
    const T* gr = g + gv.rows.offset(r);
    const T* yr = y + yv.rows.offset(r);
    T* dr = dx + r * n;
    double dot = 0;
    for (int64_t j = group.rank(); j < n; j += group.size())
      dot += static_cast<double>(gr[j * gv.step]) * yr[j * yv.step];
    const T g_dot_y = static_cast<T>(group.sum(dot));
    for (int64_t j = group.rank(); j < n; j += group.size()) dr[j] = yr[j * yv.step] * (gr[j * gv.step] - g_dot_y);
  }
}

template <typename T>
void launch_forward(const Tensor& x, const Tensor& mask, Tensor& y) {
  const int64_t n = x.size(-1), rows = x.numel() / n;
  const RowView xv = row_view(x, x.shape(), "softmax");
  const RowView mv = mask.defined() ? row_view(mask, x.shape(), "softmax") : RowView{};
  const T* mp = mask.defined() ? mask.data<T>() : nullptr;
  if (row_kernel_uses_warps(n)) {
    softmax_forward_kernel<T, WarpReduce><<<row_grid(rows, n), kRowBlockThreads, 0, stream()>>>(
        x.data<T>(), xv, mp, mv, y.data<T>(), rows, n);
  } else {
    softmax_forward_kernel<T, BlockReduce><<<row_grid(rows, n), kRowBlockThreads, 0, stream()>>>(
        x.data<T>(), xv, mp, mv, y.data<T>(), rows, n);
  }
  check_launch("softmax_forward_kernel", "softmax");
}

template <typename T>
void launch_backward(const Tensor& grad, const Tensor& y, Tensor& dx) {
  const int64_t n = y.size(-1), rows = y.numel() / n;
  const RowView gv = row_view(grad, y.shape(), "softmax_backward");
  const RowView yv = row_view(y, y.shape(), "softmax_backward");
  if (row_kernel_uses_warps(n)) {
    softmax_backward_kernel<T, WarpReduce><<<row_grid(rows, n), kRowBlockThreads, 0, stream()>>>(
        grad.data<T>(), gv, y.data<T>(), yv, dx.data<T>(), rows, n);
  } else {
    softmax_backward_kernel<T, BlockReduce><<<row_grid(rows, n), kRowBlockThreads, 0, stream()>>>(
        grad.data<T>(), gv, y.data<T>(), yv, dx.data<T>(), rows, n);
  }
  check_launch("softmax_backward_kernel", "softmax_backward");
}

}  // namespace

// tensor/softmax.cpp has checked shapes, dtypes and devices.
Tensor softmax_forward(const Tensor& x, const Tensor& mask) {
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());  // [..., N], contiguous
  if (y.numel() == 0) return y;
  dispatch_float(x.dtype(), "softmax", [&](auto tag) { launch_forward<decltype(tag)>(x, mask, y); });
  return y;
}

Tensor softmax_backward(const Tensor& grad, const Tensor& y) {
  Tensor dx = Tensor::empty(y.shape(), y.dtype(), y.device());  // [..., N], contiguous
  if (dx.numel() == 0) return dx;
  dispatch_float(y.dtype(), "softmax_backward", [&](auto tag) { launch_backward<decltype(tag)>(grad, y, dx); });
  return dx;
}

}  // namespace uniad::cuda

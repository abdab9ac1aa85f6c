#include "tensor/softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tensor/cuda/backend.h"
#include "tensor/strided_loop.h"

namespace uniad::ops {

namespace {

// One row of the forward pass. x and mask are read with their own steps (mask == nullptr means
// no mask, step 0 means broadcast); y is a contiguous output row of length n.
template <typename T>
void softmax_row(const T* x, int64_t x_step, const T* mask, int64_t mask_step, T* y, int64_t n) {
  // z = x + mask, staged in y so every logit is read from x and mask once.
  for (int64_t i = 0; i < n; ++i) y[i] = x[i * x_step] + (mask ? mask[i * mask_step] : T(0));

  constexpr T kMinusInf = -std::numeric_limits<T>::infinity();
  T max_z = kMinusInf;
  for (int64_t i = 0; i < n; ++i) max_z = std::max(max_z, y[i]);
  if (max_z == kMinusInf) {
    // Every position is excluded. exp(z - max z) would be exp(-inf + inf) = NaN, so write the
    // defined answer instead: no attention at all. NaN logits stay NaN, never hidden.
    for (int64_t i = 0; i < n; ++i)
      if (!std::isnan(y[i])) y[i] = T(0);
    return;
  }
  // Subtracting the row maximum keeps exp() <= 1: no overflow however large the logits.
  // Excluded positions give exp(-inf) = 0 exactly. The total is summed in double.
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    y[i] = std::exp(y[i] - max_z);
    total += y[i];
  }
  const T inv_total = static_cast<T>(1.0 / total);
  for (int64_t i = 0; i < n; ++i) y[i] *= inv_total;
}

// One row of the backward pass: dx_i = y_i (g_i - sum_j g_j y_j). dx is a contiguous row.
template <typename T>
void softmax_backward_row(const T* g, int64_t g_step, const T* y, int64_t y_step, T* dx, int64_t n) {
  double dot = 0;
  for (int64_t i = 0; i < n; ++i) dot += static_cast<double>(g[i * g_step]) * y[i * y_step];
  const T g_dot_y = static_cast<T>(dot);
  for (int64_t i = 0; i < n; ++i) dx[i] = y[i * y_step] * (g[i * g_step] - g_dot_y);
}

// True when `from` broadcasts to exactly `to` (to never grows: the mask adapts to the logits).
bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.size() > to.size()) return false;
  const size_t lead = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i)
    if (from[i] != 1 && from[i] != to[lead + i]) return false;
  return true;
}

void check_mask(const Tensor& x, const Tensor& mask) {
  UNIAD_CHECK(mask.dtype() == x.dtype(), "softmax: mask is ", dtype_name(mask.dtype()), " ",
              shape_str(mask.shape()), " but logits are ", dtype_name(x.dtype()), " ", shape_str(x.shape()));
  UNIAD_CHECK(mask.device() == x.device(), "softmax: mask on ", mask.device().str(), ", logits on ",
              x.device().str());
  UNIAD_CHECK(broadcasts_to(mask.shape(), x.shape()),
              "softmax: mask ", shape_str(mask.shape()), " does not broadcast to logits ", shape_str(x.shape()));
}

}  // namespace

Tensor softmax_forward(const Tensor& x, const Tensor& mask) {
  UNIAD_CHECK(x.defined(), "softmax: undefined input");
  UNIAD_CHECK(x.dim() >= 1, "softmax: needs at least one axis, got a scalar");
  if (mask.defined()) check_mask(x, mask);
  if (cuda::on_gpu("softmax", x, mask)) return cuda::softmax_forward(x, mask);
  return dispatch_float(x.dtype(), "softmax", [&](auto tag) {
    using T = decltype(tag);
    Tensor y = Tensor::empty(x.shape(), x.dtype());  // [..., N], contiguous
    // A missing mask walks with all-zero strides and is never dereferenced.
    const Shape mask_strides = mask.defined() ? broadcast_strides(mask.shape(), mask.strides(), x.shape())
                                              : Shape(x.dim(), 0);
    const T* xp = x.data<T>();
    const T* mp = mask.defined() ? mask.data<T>() : nullptr;
    T* yp = y.data<T>();
    // strided_rows hands out one last-axis row at a time and spreads rows over OpenMP threads
    // once the tensor is large enough to pay for it.
    strided_rows<3>(x.shape(), {&y.strides(), &x.strides(), &mask_strides},
                    [&](const int64_t* off, int64_t n, const int64_t* step) {
                      softmax_row(xp + off[1], step[1], mp ? mp + off[2] : nullptr, step[2], yp + off[0], n);
                    });
    return y;
  });
}

Tensor softmax_backward(const Tensor& grad, const Tensor& y) {
  UNIAD_CHECK(grad.defined() && y.defined(), "softmax_backward: undefined operand");
  UNIAD_CHECK(grad.shape() == y.shape() && grad.dtype() == y.dtype(), "softmax_backward: gradient ",
              dtype_name(grad.dtype()), " ", shape_str(grad.shape()), " for an output ", dtype_name(y.dtype()), " ",
              shape_str(y.shape()));
  UNIAD_CHECK(y.dim() >= 1, "softmax_backward: needs at least one axis, got a scalar");
  if (cuda::on_gpu("softmax_backward", grad, y)) return cuda::softmax_backward(grad, y);
  return dispatch_float(y.dtype(), "softmax_backward", [&](auto tag) {
    using T = decltype(tag);
    Tensor dx = Tensor::empty(y.shape(), y.dtype());  // [..., N], contiguous
    const T* gp = grad.data<T>();
    const T* yp = y.data<T>();
    T* dp = dx.data<T>();
    strided_rows<3>(y.shape(), {&dx.strides(), &grad.strides(), &y.strides()},
                    [&](const int64_t* off, int64_t n, const int64_t* step) {
                      softmax_backward_row(gp + off[1], step[1], yp + off[2], step[2], dp + off[0], n);
                    });
    return dx;
  });
}

}  // namespace uniad::ops

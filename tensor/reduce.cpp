#include "tensor/reduce.h"

#include <algorithm>
#include <limits>

#include "tensor/cuda/backend.h"
#include "tensor/strided_loop.h"

namespace uniad::ops {

namespace {

// Reduced axes sorted and de-duplicated; empty input means all axes.
std::vector<int> resolve_axes(const Axes& axes, int64_t ndim, const char* op) {
  std::vector<bool> mark(ndim, axes.empty());
  for (int64_t a : axes) mark[normalize_axis(a, ndim, op)] = true;
  std::vector<int> out;
  for (int i = 0; i < ndim; ++i)
    if (mark[i]) out.push_back(i);
  return out;
}

Shape reduced_shape(const Shape& shape, const std::vector<int>& axes, bool keepdim) {
  Shape out;
  for (int i = 0; i < static_cast<int>(shape.size()); ++i) {
    const bool reduced = std::find(axes.begin(), axes.end(), i) != axes.end();
    if (!reduced) out.push_back(shape[i]);
    else if (keepdim) out.push_back(1);
  }
  return out;
}

// Moves the reduced axes to the end and makes the data contiguous, so each output element is
// the reduction of one contiguous row of length `inner`.
struct Rows {
  Tensor data;  // [outer, inner]
  int64_t outer = 0, inner = 0;
};

Rows to_rows(const Tensor& x, const std::vector<int>& axes) {
  std::vector<int64_t> order;
  int64_t inner = 1;
  for (int i = 0; i < x.dim(); ++i)
    if (std::find(axes.begin(), axes.end(), i) == axes.end()) order.push_back(i);
  for (int a : axes) {
    order.push_back(a);
    inner *= x.shape()[a];
  }
  Rows r;
  r.inner = inner;
  r.outer = inner == 0 ? 0 : x.numel() / inner;
  r.data = x.permute(order).contiguous();
  return r;
}

template <typename T, typename RowFn>
Tensor reduce_rows(const Tensor& x, const Axes& axes, bool keepdim, const char* op, RowFn row_fn) {
  const auto ax = resolve_axes(axes, x.dim(), op);
  Rows rows = to_rows(x, ax);
  Tensor out = Tensor::empty(reduced_shape(x.shape(), ax, keepdim), x.dtype());
  const T* in = rows.data.template data<T>();
  T* o = out.data<T>();
  const int64_t inner = rows.inner;
  const int64_t outer = out.numel();
#pragma omp parallel for schedule(static) if (outer * inner >= kParallelGrain && outer > 1)
  for (int64_t r = 0; r < outer; ++r) o[r] = row_fn(in + r * inner, inner);
  return out;
}

// Sum in double for float32 rows too: reductions over 10^5 elements stay accurate. Eight
// independent partial sums (combined in a fixed order) let the compiler use vector adds, which
// a single running sum forbids; the result does not depend on the thread count.
template <typename T>
double row_sum(const T* p, int64_t n) {
  double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) part[j] += p[i + j];
  double s = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
  for (; i < n; ++i) s += p[i];
  return s;
}

// Reductions over a block of consecutive axes that are not the last (bias gradients:
// [R, O] -> [O]; position gradients: [L, B, D] -> [L, 1, D]) of a contiguous tensor sum whole
// rows into per-column accumulators instead of transposing first. x is seen as
// [outer, rows, cols] with the block in the middle. Threads split outer x column blocks; each
// output is summed in row order, so results do not depend on the thread count.
struct MiddleBlock {
  int64_t outer = 1, rows = 1, cols = 1;
};
bool reduces_middle_block(const Tensor& x, const std::vector<int>& ax, MiddleBlock& m) {
  if (!x.is_contiguous() || ax.empty() || ax.back() == x.dim() - 1) return false;
  for (size_t i = 1; i < ax.size(); ++i)
    if (ax[i] != ax[i - 1] + 1) return false;
  m = {};
  for (int i = 0; i < x.dim(); ++i) (i < ax.front() ? m.outer : i <= ax.back() ? m.rows : m.cols) *= x.shape()[i];
  return true;
}

template <typename T>
Tensor reduce_middle(const Tensor& x, const std::vector<int>& ax, const MiddleBlock& m, bool keepdim, bool mean) {
  Tensor out = Tensor::empty(reduced_shape(x.shape(), ax, keepdim), x.dtype());
  const T* in = x.data<T>();
  T* o = out.data<T>();
  constexpr int64_t kBlock = 64;  // columns per task: accumulators in registers/L1, and 256 columns still split 4 ways
  const int64_t blocks = (m.cols + kBlock - 1) / kBlock;
  const double divisor = mean ? static_cast<double>(m.rows) : 1.0;
#pragma omp parallel for schedule(static) if (x.numel() >= kParallelGrain && m.outer * blocks > 1)
  for (int64_t task = 0; task < m.outer * blocks; ++task) {
    const int64_t i = task / blocks, c0 = (task % blocks) * kBlock, n = std::min(kBlock, m.cols - c0);
    double acc[kBlock] = {};
    for (int64_t r = 0; r < m.rows; ++r) {
      const T* row = in + (i * m.rows + r) * m.cols + c0;
      for (int64_t c = 0; c < n; ++c) acc[c] += row[c];
    }
    for (int64_t c = 0; c < n; ++c) o[i * m.cols + c0 + c] = static_cast<T>(acc[c] / divisor);
  }
  return out;
}

// GPU operands: the reduced axes moved last by a device copy, then one row kernel (see
// tensor/cuda/reduce.cu). `outer` is the output's element count, as in reduce_rows: when a
// reduced axis is empty every output is the reduction of an empty row.
Tensor sum_on_gpu(const Tensor& x, const std::vector<int>& ax, bool keepdim, bool mean) {
  Rows rows = to_rows(x, ax);
  Tensor out = Tensor::empty(reduced_shape(x.shape(), ax, keepdim), x.dtype(), x.device());
  cuda::sum_rows(rows.data, out.numel(), rows.inner, out, mean ? static_cast<double>(rows.inner) : 1.0);
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, const Axes& axes, bool keepdim) {
  return dispatch_float(x.dtype(), "sum", [&](auto tag) {
    using T = decltype(tag);
    const auto ax = resolve_axes(axes, x.dim(), "sum");
    if (cuda::on_gpu("sum", x)) return sum_on_gpu(x, ax, keepdim, false);
    MiddleBlock m;
    if (reduces_middle_block(x, ax, m)) return reduce_middle<T>(x, ax, m, keepdim, false);
    return reduce_rows<T>(x, axes, keepdim, "sum", [](const T* p, int64_t n) { return static_cast<T>(row_sum(p, n)); });
  });
}

Tensor mean(const Tensor& x, const Axes& axes, bool keepdim) {
  return dispatch_float(x.dtype(), "mean", [&](auto tag) {
    using T = decltype(tag);
    const auto ax = resolve_axes(axes, x.dim(), "mean");
    if (cuda::on_gpu("mean", x)) return sum_on_gpu(x, ax, keepdim, true);
    MiddleBlock m;
    if (reduces_middle_block(x, ax, m)) return reduce_middle<T>(x, ax, m, keepdim, true);
    return reduce_rows<T>(x, axes, keepdim, "mean",
                          [](const T* p, int64_t n) { return static_cast<T>(row_sum(p, n) / static_cast<double>(n)); });
  });
}

Tensor var(const Tensor& x, const Axes& axes, bool keepdim, int64_t correction) {
  return dispatch_float(x.dtype(), "var", [&](auto tag) {
    using T = decltype(tag);
    if (cuda::on_gpu("var", x)) {
      const auto ax = resolve_axes(axes, x.dim(), "var");
      Rows rows = to_rows(x, ax);
      Tensor out = Tensor::empty(reduced_shape(x.shape(), ax, keepdim), x.dtype(), x.device());
      cuda::var_rows(rows.data, out.numel(), rows.inner, out, correction);
      return out;
    }
    return reduce_rows<T>(x, axes, keepdim, "var", [correction](const T* p, int64_t n) {
      const double m = row_sum(p, n) / static_cast<double>(n);
      double s = 0;
      for (int64_t i = 0; i < n; ++i) s += (p[i] - m) * (p[i] - m);
      return static_cast<T>(s / static_cast<double>(std::max<int64_t>(n - correction, 0)));
    });
  });
}

MaxResult max(const Tensor& x, int64_t axis, bool keepdim) {
  const int a = normalize_axis(axis, x.dim(), "max");
  UNIAD_CHECK(x.shape()[a] > 0, "max: axis ", a, " of shape ", shape_str(x.shape()), " is empty");
  MaxResult result;
  dispatch_float(x.dtype(), "max", [&](auto tag) {
    using T = decltype(tag);
    Rows rows = to_rows(x, {a});
    const Shape out_shape = reduced_shape(x.shape(), {a}, keepdim);
    result.values = Tensor::empty(out_shape, x.dtype(), x.device());
    result.indices = Tensor::empty(out_shape, DType::Int64, x.device());
    if (cuda::on_gpu("max", x)) return cuda::max_rows(rows.data, rows.outer, rows.inner, result.values, result.indices);
    const T* in = rows.data.template data<T>();
    T* v = result.values.data<T>();
    int64_t* idx = result.indices.data<int64_t>();
    for (int64_t r = 0; r < rows.outer; ++r) {
      const T* p = in + r * rows.inner;
      int64_t best = 0;
      for (int64_t i = 1; i < rows.inner; ++i)
        if (p[i] > p[best] || (p[i] != p[i] && p[best] == p[best])) best = i;  // NaN wins, like torch
      v[r] = p[best];
      idx[r] = best;
    }
  });
  return result;
}

Tensor max_all(const Tensor& x) {
  UNIAD_CHECK(x.numel() > 0, "max_all: empty tensor of shape ", shape_str(x.shape()));
  return max(x.reshape({x.numel()}), 0, false).values;
}

Tensor max_backward(const Tensor& grad, const Tensor& indices, const Shape& input_shape, int64_t axis, bool keepdim) {
  const int a = normalize_axis(axis, static_cast<int64_t>(input_shape.size()), "max_backward");
  if (cuda::on_gpu("max_backward", grad, indices)) return cuda::max_backward(grad, indices, input_shape, a, keepdim);
  Tensor g = keepdim ? grad : grad.unsqueeze(a);
  Tensor ix = (keepdim ? indices : indices.unsqueeze(a)).contiguous();
  Tensor out = Tensor::zeros(input_shape, grad.dtype());
  Shape g_shape = g.shape();
  dispatch_float(grad.dtype(), "max_backward", [&](auto tag) {
    using T = decltype(tag);
    Tensor gc = g.contiguous();
    const T* gp = gc.template data<T>();
    const int64_t* ip = ix.data<int64_t>();
    T* op = out.data<T>();
    // Walk every reduced position; its flat index in `out` differs only along axis a.
    const Shape out_strides = out.strides();
    const int64_t n = gc.numel();
    for (int64_t flat = 0; flat < n; ++flat) {
      int64_t rem = flat, off = 0;
      for (int d = static_cast<int>(g_shape.size()) - 1; d >= 0; --d) {
        const int64_t i = rem % g_shape[d];
        rem /= g_shape[d];
        off += (d == a ? ip[flat] : i) * out_strides[d];
      }
      op[off] += gp[flat];
    }
  });
  return out;
}

Tensor sum_to_shape(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  UNIAD_CHECK(broadcast_shapes(shape, x.shape(), "sum_to_shape") == x.shape(), "sum_to_shape: ",
              shape_str(shape), " does not broadcast to ", shape_str(x.shape()));
  const int64_t lead = x.dim() - static_cast<int64_t>(shape.size());
  Axes axes;
  for (int64_t i = 0; i < x.dim(); ++i)
    if (i < lead || (shape[i - lead] == 1 && x.shape()[i] != 1)) axes.push_back(i);
  if (axes.empty()) return x.reshape(shape);
  return sum(x, axes, true).reshape(shape);
}

}  // namespace uniad::ops

#include "tensor/layer_norm.h"

#include <omp.h>

#include <cmath>
#include <vector>

#include "tensor/cuda/backend.h"
#include "tensor/strided_loop.h"

namespace uniad::ops {

namespace {

// z = x + residual for one row (x and residual read with their own steps, z contiguous);
// returns the row's sum.
template <typename T>
double add_row(const T* x, int64_t x_step, const T* r, int64_t r_step, T* z, int64_t n) {
  double sum = 0;
  if (x_step == 1 && r_step == 1) {
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < n; ++i) {
      z[i] = x[i] + r[i];
      sum += z[i];
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      z[i] = x[i * x_step] + r[i * r_step];
      sum += z[i];
    }
  }
  return sum;
}

template <typename T>
double row_sum(const T* z, int64_t n) {
  double sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < n; ++i) sum += z[i];
  return sum;
}

// One row of the forward pass, from the contiguous row z and its sum: y = (z - mean) * rstd * w + b.
// The variance is the mean of the squared centred values (a second pass, not E[z^2] - mean^2).
template <typename T>
void normalise_row(const T* z, double sum, const T* w, const T* b, T* y, int64_t n, double eps, T& mean_out,
                   T& rstd_out) {
  const double mean = sum / static_cast<double>(n);
  double squares = 0;
#pragma omp simd reduction(+ : squares)
  for (int64_t i = 0; i < n; ++i) {
    const double c = static_cast<double>(z[i]) - mean;
    squares += c * c;
  }
  const T m = static_cast<T>(mean);
  const T rstd = static_cast<T>(1.0 / std::sqrt(squares / static_cast<double>(n) + eps));
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = (z[i] - m) * rstd * w[i] + b[i];
  mean_out = m;
  rstd_out = rstd;
}

// One row of the backward pass. dz (when asked for) is written; g * xhat and g are added to
// this thread's partial sums dw and db (when asked for). All rows contiguous.
template <typename T>
void backward_row(const T* g, const T* z, T mean, T rstd, const T* w, T* dz, double* dw, double* db, int64_t n) {
  if (dz) {
    double sum_gw = 0, sum_gw_xhat = 0;
#pragma omp simd reduction(+ : sum_gw, sum_gw_xhat)
    for (int64_t i = 0; i < n; ++i) {
      const T gw = g[i] * w[i];
      sum_gw += gw;
      sum_gw_xhat += gw * ((z[i] - mean) * rstd);
    }
    const T mean_gw = static_cast<T>(sum_gw / static_cast<double>(n));
    const T mean_gw_xhat = static_cast<T>(sum_gw_xhat / static_cast<double>(n));
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) dz[i] = rstd * (g[i] * w[i] - mean_gw - (z[i] - mean) * rstd * mean_gw_xhat);
  }
  if (dw) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) dw[i] += g[i] * ((z[i] - mean) * rstd);
  }
  if (db) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) db[i] += g[i];
  }
}

// Adds the per-thread partial sums [threads, n] in thread order into a fresh [n] tensor.
template <typename T>
Tensor sum_partials(const std::vector<double>& partial, int threads, int64_t n) {
  Tensor out = Tensor::empty({n}, dtype_of<T>());  // [D]
  T* o = out.data<T>();
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int t = 0; t < threads; ++t) s += partial[static_cast<size_t>(t * n + i)];
    o[i] = static_cast<T>(s);
  }
  return out;
}

void check_vector(const Tensor& v, const Tensor& x, const char* name) {
  if (!v.defined()) return;
  UNIAD_CHECK(v.shape() == Shape{x.size(-1)} && v.dtype() == x.dtype(), "layer_norm: ", name, " ",
              dtype_name(v.dtype()), " ", shape_str(v.shape()), " does not match the normalised axis of input ",
              dtype_name(x.dtype()), " ", shape_str(x.shape()), " (expected [", x.size(-1), "])");
}

}  // namespace

LayerNormForward layer_norm_forward(const Tensor& x, const Tensor& residual, const Tensor& weight,
                                    const Tensor& bias, double eps) {
  UNIAD_CHECK(x.defined(), "layer_norm: undefined input");
  UNIAD_CHECK(x.dim() >= 1 && x.size(-1) > 0, "layer_norm: needs a non-empty last axis, got ", shape_str(x.shape()));
  if (residual.defined())
    UNIAD_CHECK(residual.shape() == x.shape() && residual.dtype() == x.dtype() && residual.device() == x.device(),
                "layer_norm: residual ", dtype_name(residual.dtype()), " ", shape_str(residual.shape()),
                " differs from input ", dtype_name(x.dtype()), " ", shape_str(x.shape()));
  check_vector(weight, x, "weight");
  check_vector(bias, x, "bias");
  if (cuda::on_gpu("layer_norm", x, residual, weight, bias))
    return cuda::layer_norm_forward(x, residual, weight, bias, eps);
  return dispatch_float(x.dtype(), "layer_norm", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = x.size(-1);
    Shape stat_shape = x.shape();
    stat_shape.back() = 1;
    LayerNormForward f;
    f.y = Tensor::empty(x.shape(), x.dtype());     // [..., D]
    f.mean = Tensor::empty(stat_shape, x.dtype());  // [..., 1]
    f.rstd = Tensor::empty(stat_shape, x.dtype());  // [..., 1]
    // With a residual the kernel reads x and residual through their strides and writes z;
    // without one it reads x in place, copied first only when its rows are not contiguous.
    const bool add = residual.defined();
    const Tensor src = add ? x : x.contiguous();
    f.input = add ? Tensor::empty(x.shape(), x.dtype()) : src;  // [..., D]
    const Tensor w = weight.defined() ? weight.contiguous() : Tensor::ones({n}, x.dtype());
    const Tensor b = bias.defined() ? bias.contiguous() : Tensor::zeros({n}, x.dtype());
    const T* xp = src.data<T>();
    const T* rp = add ? residual.data<T>() : nullptr;
    T* zp = add ? f.input.data<T>() : nullptr;
    const T* wp = w.data<T>();
    const T* bp = b.data<T>();
    T* yp = f.y.data<T>();
    T* mp = f.mean.data<T>();
    T* sp = f.rstd.data<T>();
    const Shape& r_strides = add ? residual.strides() : src.strides();
    strided_rows<3>(x.shape(), {&f.y.strides(), &src.strides(), &r_strides},
                    [&](const int64_t* off, int64_t len, const int64_t* step) {
                      const int64_t row = off[0] / n;  // y is contiguous: row r starts at r * n
                      const T* z = add ? zp + off[0] : xp + off[1];
                      const double sum = add ? add_row(xp + off[1], step[1], rp + off[2], step[2], zp + off[0], n)
                                             : row_sum(z, n);
                      normalise_row(z, sum, wp, bp, yp + off[0], n, eps, mp[row], sp[row]);
                    });
    return f;
  });
}

LayerNormGrads layer_norm_backward(const Tensor& grad, const Tensor& input, const Tensor& mean, const Tensor& rstd,
                                   const Tensor& weight, bool need_input, bool need_weight, bool need_bias) {
  UNIAD_CHECK(grad.defined() && input.defined() && mean.defined() && rstd.defined(),
              "layer_norm_backward: undefined operand");
  UNIAD_CHECK(grad.shape() == input.shape() && grad.dtype() == input.dtype(), "layer_norm_backward: gradient ",
              dtype_name(grad.dtype()), " ", shape_str(grad.shape()), " for an input ", dtype_name(input.dtype()), " ",
              shape_str(input.shape()));
  UNIAD_CHECK(input.dim() >= 1 && input.size(-1) > 0 && input.is_contiguous() && mean.is_contiguous() &&
                  rstd.is_contiguous() && mean.numel() * input.size(-1) == input.numel() &&
                  rstd.numel() == mean.numel(),
              "layer_norm_backward: expects layer_norm_forward's contiguous input ", shape_str(input.shape()),
              ", mean ", shape_str(mean.shape()), " and rstd ", shape_str(rstd.shape()));
  check_vector(weight, input, "weight");
  if (cuda::on_gpu("layer_norm_backward", grad, input, mean, rstd, weight))
    return cuda::layer_norm_backward(grad, input, mean, rstd, weight, need_input, need_weight, need_bias);
  return dispatch_float(input.dtype(), "layer_norm_backward", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = input.size(-1), rows = input.numel() / n;
    const Tensor g = grad.contiguous();
    const Tensor w = weight.defined() ? weight.contiguous() : Tensor::ones({n}, input.dtype());
    LayerNormGrads out;
    if (need_input) out.input = Tensor::empty(input.shape(), input.dtype());  // [..., D]
    const bool parallel = rows > 1 && rows * n >= kParallelGrain;
    const int threads = parallel ? omp_get_max_threads() : 1;
    // Per-thread partial sums [threads, D] of g * xhat and g.
    std::vector<double> dw_partial(need_weight ? static_cast<size_t>(threads * n) : 0);
    std::vector<double> db_partial(need_bias ? static_cast<size_t>(threads * n) : 0);
    const T* gp = g.data<T>();
    const T* zp = input.data<T>();
    const T* mp = mean.data<T>();
    const T* sp = rstd.data<T>();
    const T* wp = w.data<T>();
    T* dz = need_input ? out.input.data<T>() : nullptr;
#pragma omp parallel num_threads(threads) if (parallel)
    {
      const int t = omp_get_thread_num();
      double* dw = need_weight ? dw_partial.data() + t * n : nullptr;
      double* db = need_bias ? db_partial.data() + t * n : nullptr;
      // Static schedule: which rows a thread adds depends only on the thread count.
#pragma omp for schedule(static)
      for (int64_t r = 0; r < rows; ++r)
        backward_row(gp + r * n, zp + r * n, mp[r], sp[r], wp, dz ? dz + r * n : nullptr, dw, db, n);
    }
    if (need_weight) out.weight = sum_partials<T>(dw_partial, threads, n);
    if (need_bias) out.bias = sum_partials<T>(db_partial, threads, n);
    return out;
  });
}

}  // namespace uniad::ops

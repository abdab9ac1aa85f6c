// Layer norm over the last axis (optional residual added first), forward and backward, on the
// GPU. Mirrors tensor/layer_norm.cpp: row sums in double, the biased variance from centred
// squares in a second pass, mean and rstd rounded to T before y is formed.
//
// D = the normalised width. A row of up to 1024 features is one warp's work, longer rows a
// block's (tensor/cuda/row_reduce.cuh). The weight and bias gradients are column sums over all
// rows; they are formed deterministically: each of P blocks sums a fixed slice of rows into a
// [P, D] buffer of partials, then a second kernel adds the P partials of each column in order.
#include <cmath>
#include <type_traits>

#include "tensor/cuda/row_reduce.cuh"

namespace uniad::cuda {

namespace {

// x [rows, D] through xv; residual through rv (nullptr for none). With a residual z = x +
// residual is written to z_out [rows, D]; without one z is x itself. y [rows, D], mean and rstd
// [rows] contiguous; w and b [D] or nullptr (ones and zeros).
template <typename T, typename Group>
__global__ void layer_norm_forward_kernel(const T* x, RowView xv, const T* residual, RowView rv, T* z_out,
                                          const T* w, const T* b, T* y, T* mean_out, T* rstd_out, int64_t rows,
                                          int64_t n, double eps) {
  __shared__ double scratch[kWarpSize];
  Group group{};
  if constexpr (std::is_same_v<Group, BlockReduce>) group.scratch = scratch;
  for (int64_t r = first_row(group); r < rows; r += row_stride(group)) {
    const T* xr = x + xv.rows.offset(r);
    const T* rr = residual ? residual + rv.rows.offset(r) : nullptr;
    T* zr = residual ? z_out + r * n : nullptr;
    // Each thread reads back only the z it wrote itself.
    auto z_at = [&](int64_t j) -> T { return residual ? zr[j] : xr[j * xv.step]; };
    double sum = 0;
    for (int64_t j = group.rank(); j < n; j += group.size()) {
      if (residual) zr[j] = xr[j * xv.step] + rr[j * rv.step];
      sum += z_at(j);
    }
    const double mean = group.sum(sum) / static_cast<double>(n);
    double squares = 0;
    for (int64_t j = group.rank(); j < n; j += group.size()) {
      const double c = static_cast<double>(z_at(j)) - mean;
      squares += c * c;
    }
    squares = group.sum(squares);
    const T m = static_cast<T>(mean);
    const T rstd = static_cast<T>(1.0 / sqrt(squares / static_cast<double>(n) + eps));
    T* yr = y + r * n;
    for (int64_t j = group.rank(); j < n; j += group.size()) {
      T v = (z_at(j) - m) * rstd;
      if (w) v *= w[j];
      if (b) v += b[j];
      yr[j] = v;
    }
    if (group.rank() == 0) {
      mean_out[r] = m;
      rstd_out[r] = rstd;
    }
  }
}

// dz = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)) per row, gw = g * w, xhat = (z - mean) *
// rstd. g, z, dz [rows, D] contiguous; mean, rstd [rows]; w [D] or nullptr.
template <typename T, typename Group>
__global__ void layer_norm_backward_input_kernel(const T* g, const T* z, const T* mean, const T* rstd, const T* w,
                                                 T* dz, int64_t rows, int64_t n) {
  __shared__ double scratch[kWarpSize];
  Group group{};
  if constexpr (std::is_same_v<Group, BlockReduce>) group.scratch = scratch;
  for (int64_t r = first_row(group); r < rows; r += row_stride(group)) {
    const T* gr = g + r * n;
    const T* zr = z + r * n;
    const T m = mean[r], s = rstd[r];
    double sum_gw = 0, sum_gw_xhat = 0;
    for (int64_t j = group.rank(); j < n; j += group.size()) {
      const T gw = w ? gr[j] * w[j] : gr[j];
      sum_gw += gw;
      sum_gw_xhat += gw * ((zr[j] - m) * s);
    }
    const T mean_gw = static_cast<T>(group.sum(sum_gw) / static_cast<double>(n));
    const T mean_gw_xhat = static_cast<T>(group.sum(sum_gw_xhat) / static_cast<double>(n));
    T* dr = dz + r * n;
    for (int64_t j = group.rank(); j < n; j += group.size()) {
      const T gw = w ? gr[j] * w[j] : gr[j];
      dr[j] = s * (gw - mean_gw - (zr[j] - m) * s * mean_gw_xhat);
    }
  }
}

// Partial column sums: block (c, p) sums rows [p * rows_per_part, (p + 1) * rows_per_part) of
// columns c * blockDim.x + threadIdx.x into dw_part[p, d] (g * xhat) and db_part[p, d] (g);
// either may be nullptr. Threads of a block read consecutive columns of one row at a time.
template <typename T>
__global__ void layer_norm_param_partials_kernel(const T* g, const T* z, const T* mean, const T* rstd,
                                                 double* dw_part, double* db_part, int64_t rows, int64_t n,
                                                 int64_t rows_per_part) {
  const int64_t d = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (d >= n) return;
  const int64_t p = blockIdx.y, first = p * rows_per_part;
  const int64_t last = first + rows_per_part < rows ? first + rows_per_part : rows;
  double dw = 0, db = 0;
  for (int64_t r = first; r < last; ++r) {
    const T gv = g[r * n + d];
    dw += gv * ((z[r * n + d] - mean[r]) * rstd[r]);
    db += gv;
  }
  if (dw_part) dw_part[p * n + d] = dw;
  if (db_part) db_part[p * n + d] = db;
}

// out[d] = sum over p of part[p, d], in order of p. part [parts, D], out [D].
template <typename T>
__global__ void sum_partials_kernel(const double* part, int64_t parts, int64_t n, T* out) {
  UNIAD_GRID_LOOP(d, n) {
    double s = 0;
    for (int64_t p = 0; p < parts; ++p) s += part[p * n + d];
    out[d] = static_cast<T>(s);
  }
}

constexpr int64_t kMaxParts = 512;  // row slices of the weight and bias gradients

template <typename T>
void launch_forward(const Tensor& src, const Tensor& residual, const Tensor& w, const Tensor& b, double eps,
                    ops::LayerNormForward& f) {
  const int64_t n = src.size(-1), rows = src.numel() / n;
  const bool add = residual.defined();
  const RowView xv = row_view(src, src.shape(), "layer_norm");
  const RowView rv = add ? row_view(residual, src.shape(), "layer_norm") : RowView{};
  const T* rp = add ? residual.data<T>() : nullptr;
  T* zp = add ? f.input.data<T>() : nullptr;
  const T* wp = w.defined() ? w.data<T>() : nullptr;
  const T* bp = b.defined() ? b.data<T>() : nullptr;
  if (row_kernel_uses_warps(n)) {
    layer_norm_forward_kernel<T, WarpReduce><<<row_grid(rows, n), kRowBlockThreads, 0, stream()>>>(
        src.data<T>(), xv, rp, rv, zp, wp, bp, f.y.data<T>(), f.mean.data<T>(), f.rstd.data<T>(), rows, n, eps);
  } else {
    layer_norm_forward_kernel<T, BlockReduce><<<row_grid(rows, n), kRowBlockThreads, 0, stream()>>>(
        src.data<T>(), xv, rp, rv, zp, wp, bp, f.y.data<T>(), f.mean.data<T>(), f.rstd.data<T>(), rows, n, eps);
  }
  check_launch("layer_norm_forward_kernel", "layer_norm");
}

template <typename T>
void launch_backward(const Tensor& g, const Tensor& input, const Tensor& mean, const Tensor& rstd, const Tensor& w,
                     ops::LayerNormGrads& out, bool need_weight, bool need_bias) {
  const int64_t n = input.size(-1), rows = input.numel() / n;
  const T* gp = g.data<T>();
  const T* zp = input.data<T>();
  const T* mp = mean.data<T>();
  const T* sp = rstd.data<T>();
  if (out.input.defined()) {
    const T* wp = w.defined() ? w.data<T>() : nullptr;
    T* dz = out.input.data<T>();
    if (row_kernel_uses_warps(n)) {
      layer_norm_backward_input_kernel<T, WarpReduce>
          <<<row_grid(rows, n), kRowBlockThreads, 0, stream()>>>(gp, zp, mp, sp, wp, dz, rows, n);
    } else {
      layer_norm_backward_input_kernel<T, BlockReduce>
          <<<row_grid(rows, n), kRowBlockThreads, 0, stream()>>>(gp, zp, mp, sp, wp, dz, rows, n);
    }
    check_launch("layer_norm_backward_input_kernel", "layer_norm_backward");
  }
  if (!need_weight && !need_bias) return;
  // The slicing depends only on the number of rows, so the sums are the same on every run.
  const int64_t rows_per_part = (rows + kMaxParts - 1) / kMaxParts;
  const int64_t parts = (rows + rows_per_part - 1) / rows_per_part;
  Tensor dw_part, db_part;  // [parts, D] float64
  if (need_weight) dw_part = Tensor::empty({parts, n}, DType::Float64, input.device());
  if (need_bias) db_part = Tensor::empty({parts, n}, DType::Float64, input.device());
  const dim3 grid(static_cast<unsigned>((n + kThreads - 1) / kThreads), static_cast<unsigned>(parts));
  layer_norm_param_partials_kernel<T><<<grid, kThreads, 0, stream()>>>(
      gp, zp, mp, sp, need_weight ? dw_part.data<double>() : nullptr, need_bias ? db_part.data<double>() : nullptr,
      rows, n, rows_per_part);
  check_launch("layer_norm_param_partials_kernel", "layer_norm_backward");
  if (need_weight) {
    sum_partials_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(dw_part.data<double>(), parts, n,
                                                                   out.weight.data<T>());
    check_launch("sum_partials_kernel", "layer_norm_backward");
  }
  if (need_bias) {
    sum_partials_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(db_part.data<double>(), parts, n,
                                                                   out.bias.data<T>());
    check_launch("sum_partials_kernel", "layer_norm_backward");
  }
}

}  // namespace

// tensor/layer_norm.cpp has checked shapes, dtypes and devices.
ops::LayerNormForward layer_norm_forward(const Tensor& x, const Tensor& residual, const Tensor& weight,
                                         const Tensor& bias, double eps) {
  const Device device = x.device();
  Shape stat_shape = x.shape();
  stat_shape.back() = 1;
  ops::LayerNormForward f;
  f.y = Tensor::empty(x.shape(), x.dtype(), device);        // [..., D]
  f.mean = Tensor::empty(stat_shape, x.dtype(), device);    // [..., 1]
  f.rstd = Tensor::empty(stat_shape, x.dtype(), device);    // [..., 1]
  // As on the CPU: with a residual z is written fresh; without one x is z, made contiguous.
  const bool add = residual.defined();
  const Tensor src = add ? x : x.contiguous();
  f.input = add ? Tensor::empty(x.shape(), x.dtype(), device) : src;  // [..., D]
  const Tensor w = weight.defined() ? weight.contiguous() : Tensor();
  const Tensor b = bias.defined() ? bias.contiguous() : Tensor();
  dispatch_float(x.dtype(), "layer_norm", [&](auto tag) {
    if (x.numel() > 0) launch_forward<decltype(tag)>(src, residual, w, b, eps, f);
  });
  return f;
}

ops::LayerNormGrads layer_norm_backward(const Tensor& grad, const Tensor& input, const Tensor& mean,
                                        const Tensor& rstd, const Tensor& weight, bool need_input, bool need_weight,
                                        bool need_bias) {
  const Device device = input.device();
  const int64_t n = input.size(-1);
  const Tensor g = grad.contiguous();
  const Tensor w = weight.defined() ? weight.contiguous() : Tensor();
  ops::LayerNormGrads out;
  if (need_input) out.input = Tensor::empty(input.shape(), input.dtype(), device);  // [..., D]
  if (input.numel() == 0) {  // no rows: the column sums are zero
    if (need_weight) out.weight = Tensor::zeros({n}, input.dtype(), device);
    if (need_bias) out.bias = Tensor::zeros({n}, input.dtype(), device);
    return out;
  }
  if (need_weight) out.weight = Tensor::empty({n}, input.dtype(), device);  // [D]
  if (need_bias) out.bias = Tensor::empty({n}, input.dtype(), device);      // [D]
  dispatch_float(input.dtype(), "layer_norm_backward", [&](auto tag) {
    launch_backward<decltype(tag)>(g, input, mean, rstd, w, out, need_weight, need_bias);
  });
  return out;
}

}  // namespace uniad::cuda

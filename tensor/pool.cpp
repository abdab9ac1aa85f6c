// Average pooling. Both poolings differ only in where their windows lie, so each builds its
// window edges along the two axes (Bins) and hands them to one forward and one backward kernel.
#include "tensor/pool.h"

#include <algorithm>
#include <vector>

#include "tensor/cuda/backend.h"
#include "tensor/strided_loop.h"

namespace uniad::ops {

namespace {

// Window edges along one axis: output i averages inputs [start[i], end[i]).
struct Bins {
  std::vector<int64_t> start, end;
  int64_t size() const { return static_cast<int64_t>(start.size()); }
};

Bins sliding_bins(int64_t in, int64_t kernel, int64_t stride) {
  Bins b;
  for (int64_t s = 0; s + kernel <= in; s += stride) {
    b.start.push_back(s);
    b.end.push_back(s + kernel);
  }
  return b;
}

// PyTorch's adaptive bins: floor(i * in / out) to ceil((i + 1) * in / out), in integers.
Bins adaptive_bins(int64_t in, int64_t out) {
  Bins b;
  for (int64_t i = 0; i < out; ++i) {
    b.start.push_back(i * in / out);
    b.end.push_back(((i + 1) * in + out - 1) / out);
  }
  return b;
}

// The pooling of x [N, C, H, W]: its planes and the windows along both axes.
struct PoolGeometry {
  int64_t planes, H, W;  // planes = N * C
  Bins rows, cols;
  Shape out_shape(const Shape& x) const { return {x[0], x[1], rows.size(), cols.size()}; }
};

void check_input(const Shape& x, const char* op) {
  UNIAD_CHECK(x.size() == 4, op, ": input must be [N, C, H, W], got ", shape_str(x));
}

PoolGeometry sliding_geometry(const Shape& x, int64_t kh, int64_t kw, int64_t sh, int64_t sw) {
  check_input(x, "avg_pool2d");
  UNIAD_CHECK(kh >= 1 && kw >= 1 && sh >= 1 && sw >= 1, "avg_pool2d: kernel ", kh, "x", kw, " and stride ", sh, "x", sw,
              " must be positive");
  UNIAD_CHECK(kh <= x[2] && kw <= x[3], "avg_pool2d: kernel ", kh, "x", kw, " does not fit input ", shape_str(x),
              " (no padding)");
  return {x[0] * x[1], x[2], x[3], sliding_bins(x[2], kh, sh), sliding_bins(x[3], kw, sw)};
}

PoolGeometry adaptive_geometry(const Shape& x, int64_t out_h, int64_t out_w) {
  check_input(x, "adaptive_avg_pool2d");
  UNIAD_CHECK(out_h >= 1 && out_w >= 1, "adaptive_avg_pool2d: output size ", out_h, "x", out_w, " must be positive");
  UNIAD_CHECK(x[2] >= 1 && x[3] >= 1, "adaptive_avg_pool2d: input ", shape_str(x), " has an empty image");
  return {x[0] * x[1], x[2], x[3], adaptive_bins(x[2], out_h), adaptive_bins(x[3], out_w)};
}

// y[p, i, j] = mean of x[p, rows i, cols j] for every plane p.
template <typename T>
void pool_forward(const T* x, T* y, const PoolGeometry& g) {
  const int64_t Ho = g.rows.size(), Wo = g.cols.size();
#pragma omp parallel for schedule(static) if (g.planes * g.H * g.W >= kParallelGrain)
  for (int64_t p = 0; p < g.planes; ++p) {
    const T* xp = x + p * g.H * g.W;  // [H, W]
    T* yp = y + p * Ho * Wo;          // [Ho, Wo]
    for (int64_t i = 0; i < Ho; ++i)
      for (int64_t j = 0; j < Wo; ++j) {
        double sum = 0;  // in double, like ops::sum: a global pool may add thousands of floats
        for (int64_t h = g.rows.start[i]; h < g.rows.end[i]; ++h)
          for (int64_t w = g.cols.start[j]; w < g.cols.end[j]; ++w) sum += xp[h * g.W + w];
        const int64_t area = (g.rows.end[i] - g.rows.start[i]) * (g.cols.end[j] - g.cols.start[j]);
        yp[i * Wo + j] = static_cast<T>(sum / static_cast<double>(area));
      }
  }
}

// dx[p, h, w] += dy[p, i, j] / area for every window (i, j) containing (h, w). dx starts at 0.
template <typename T>
void pool_backward(const T* dy, T* dx, const PoolGeometry& g) {
  const int64_t Ho = g.rows.size(), Wo = g.cols.size();
#pragma omp parallel for schedule(static) if (g.planes * g.H * g.W >= kParallelGrain)
  for (int64_t p = 0; p < g.planes; ++p) {
    const T* dyp = dy + p * Ho * Wo;  // [Ho, Wo]
    T* dxp = dx + p * g.H * g.W;      // [H, W]
    for (int64_t i = 0; i < Ho; ++i)
      for (int64_t j = 0; j < Wo; ++j) {
        const int64_t area = (g.rows.end[i] - g.rows.start[i]) * (g.cols.end[j] - g.cols.start[j]);
        const T share = dyp[i * Wo + j] / static_cast<T>(area);
        for (int64_t h = g.rows.start[i]; h < g.rows.end[i]; ++h)
          for (int64_t w = g.cols.start[j]; w < g.cols.end[j]; ++w) dxp[h * g.W + w] += share;
      }
  }
}

// The windows as the GPU kernels take them.
cuda::PoolWindows windows(const PoolGeometry& g) { return {g.rows.start, g.rows.end, g.cols.start, g.cols.end}; }

Tensor run_forward(const Tensor& x_in, const PoolGeometry& g, const char* op) {
  if (cuda::on_gpu(op, x_in)) return cuda::avg_pool_windows(x_in, windows(g), op);
  const Tensor x = x_in.contiguous();
  Tensor y = Tensor::empty(g.out_shape(x.shape()), x.dtype());  // [N, C, Ho, Wo]
  dispatch_float(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    pool_forward<T>(x.data<T>(), y.data<T>(), g);
  });
  return y;
}

Tensor run_backward(const Tensor& grad_out, const Shape& x_shape, const PoolGeometry& g, const char* op) {
  UNIAD_CHECK(grad_out.shape() == g.out_shape(x_shape), op, " backward: gradient ", shape_str(grad_out.shape()),
              " for an output of shape ", shape_str(g.out_shape(x_shape)));
  if (cuda::on_gpu(op, grad_out)) return cuda::avg_pool_windows_backward(grad_out, x_shape, windows(g), op);
  const Tensor dy = grad_out.contiguous();
  Tensor dx = Tensor::zeros(x_shape, dy.dtype());  // [N, C, H, W]
  dispatch_float(dy.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    pool_backward<T>(dy.data<T>(), dx.data<T>(), g);
  });
  return dx;
}

}  // namespace

Tensor avg_pool2d(const Tensor& x, int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w) {
  UNIAD_CHECK(x.defined(), "avg_pool2d: undefined input");
  return run_forward(x, sliding_geometry(x.shape(), kernel_h, kernel_w, stride_h, stride_w), "avg_pool2d");
}

Tensor avg_pool2d_backward(const Tensor& grad_out, const Shape& x_shape, int64_t kernel_h, int64_t kernel_w,
                           int64_t stride_h, int64_t stride_w) {
  return run_backward(grad_out, x_shape, sliding_geometry(x_shape, kernel_h, kernel_w, stride_h, stride_w),
                      "avg_pool2d");
}

Tensor adaptive_avg_pool2d(const Tensor& x, int64_t out_h, int64_t out_w) {
  UNIAD_CHECK(x.defined(), "adaptive_avg_pool2d: undefined input");
  return run_forward(x, adaptive_geometry(x.shape(), out_h, out_w), "adaptive_avg_pool2d");
}

Tensor adaptive_avg_pool2d_backward(const Tensor& grad_out, const Shape& x_shape) {
  UNIAD_CHECK(grad_out.dim() == 4, "adaptive_avg_pool2d backward: gradient must be [N, C, Ho, Wo], got ",
              shape_str(grad_out.shape()));
  return run_backward(grad_out, x_shape, adaptive_geometry(x_shape, grad_out.size(2), grad_out.size(3)),
                      "adaptive_avg_pool2d");
}

}  // namespace uniad::ops

// Bilinear resize. Each axis is resolved once into per-output taps (two source indices and a
// blend weight); the forward kernel blends four inputs per output, the backward kernel sends each
// output's gradient back to the same four inputs with the same weights.
#include "tensor/resize.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "tensor/cuda/backend.h"
#include "tensor/strided_loop.h"

namespace uniad::ops {

// PyTorch's area_pixel_compute_scale / area_pixel_compute_source_index / guard_index_and_lambda.
BilinearTaps bilinear_axis_taps(int64_t in, int64_t out, bool align_corners) {
  const double scale = align_corners ? (out > 1 ? static_cast<double>(in - 1) / static_cast<double>(out - 1) : 0.0)
                                     : static_cast<double>(in) / static_cast<double>(out);
  BilinearTaps taps;
  for (int64_t d = 0; d < out; ++d) {
    const double src =
        align_corners ? scale * static_cast<double>(d) : std::max(scale * (static_cast<double>(d) + 0.5) - 0.5, 0.0);
    const int64_t i0 = std::min(static_cast<int64_t>(std::floor(src)), in - 1);
    taps.i0.push_back(i0);
    taps.i1.push_back(i0 < in - 1 ? i0 + 1 : i0);  // the last input has no right neighbour
    taps.t.push_back(std::clamp(src - static_cast<double>(i0), 0.0, 1.0));
  }
  return taps;
}

namespace {

// x [N, C, H, W] resized to out_h x out_w: the planes and both axes' taps.
struct ResizeGeometry {
  int64_t planes, H, W, Ho, Wo;
  BilinearTaps rows, cols;
};

ResizeGeometry resize_geometry(const Shape& x, int64_t out_h, int64_t out_w, bool align_corners) {
  UNIAD_CHECK(x.size() == 4, "resize_bilinear: input must be [N, C, H, W], got ", shape_str(x));
  UNIAD_CHECK(out_h >= 1 && out_w >= 1, "resize_bilinear: output size ", out_h, "x", out_w, " must be positive");
  UNIAD_CHECK(x[2] >= 1 && x[3] >= 1, "resize_bilinear: input ", shape_str(x), " has an empty image");
  return {x[0] * x[1],
          x[2],
          x[3],
          out_h,
          out_w,
          bilinear_axis_taps(x[2], out_h, align_corners),
          bilinear_axis_taps(x[3], out_w, align_corners)};
}

template <typename T>
void resize_forward(const T* x, T* y, const ResizeGeometry& g) {
#pragma omp parallel for schedule(static) if (g.planes * g.Ho * g.Wo >= kParallelGrain)
  for (int64_t p = 0; p < g.planes; ++p) {
    const T* xp = x + p * g.H * g.W;  // [H, W]
    T* yp = y + p * g.Ho * g.Wo;      // [Ho, Wo]
    for (int64_t i = 0; i < g.Ho; ++i) {
      const T* top = xp + g.rows.i0[i] * g.W;  // the two source rows
      const T* bottom = xp + g.rows.i1[i] * g.W;
      const T th = static_cast<T>(g.rows.t[i]);
      for (int64_t j = 0; j < g.Wo; ++j) {
        const int64_t w0 = g.cols.i0[j], w1 = g.cols.i1[j];
        const T tw = static_cast<T>(g.cols.t[j]);
        const T upper = (1 - tw) * top[w0] + tw * top[w1];
        const T lower = (1 - tw) * bottom[w0] + tw * bottom[w1];
        yp[i * g.Wo + j] = (1 - th) * upper + th * lower;
      }
    }
  }
}

// The transpose of resize_forward. dx starts at 0; planes are independent, rows within a plane
// may share sources, so each plane stays on one thread.
template <typename T>
void resize_backward(const T* dy, T* dx, const ResizeGeometry& g) {
#pragma omp parallel for schedule(static) if (g.planes * g.Ho * g.Wo >= kParallelGrain)
  for (int64_t p = 0; p < g.planes; ++p) {
    const T* dyp = dy + p * g.Ho * g.Wo;  // [Ho, Wo]
    T* dxp = dx + p * g.H * g.W;          // [H, W]
    for (int64_t i = 0; i < g.Ho; ++i) {
      T* top = dxp + g.rows.i0[i] * g.W;
      T* bottom = dxp + g.rows.i1[i] * g.W;
      const T th = static_cast<T>(g.rows.t[i]);
      for (int64_t j = 0; j < g.Wo; ++j) {
        const int64_t w0 = g.cols.i0[j], w1 = g.cols.i1[j];
        const T tw = static_cast<T>(g.cols.t[j]);
        const T upper = (1 - th) * dyp[i * g.Wo + j], lower = th * dyp[i * g.Wo + j];
        top[w0] += (1 - tw) * upper;
        top[w1] += tw * upper;
        bottom[w0] += (1 - tw) * lower;
        bottom[w1] += tw * lower;
      }
    }
  }
}

}  // namespace

Tensor resize_bilinear(const Tensor& x_in, int64_t out_h, int64_t out_w, bool align_corners) {
  UNIAD_CHECK(x_in.defined(), "resize_bilinear: undefined input");
  const ResizeGeometry g = resize_geometry(x_in.shape(), out_h, out_w, align_corners);
  if (cuda::on_gpu("resize_bilinear", x_in)) return cuda::resize_bilinear(x_in, out_h, out_w, align_corners);
  const Tensor x = x_in.contiguous();
  Tensor y = Tensor::empty({x.size(0), x.size(1), out_h, out_w}, x.dtype());  // [N, C, Ho, Wo]
  dispatch_float(x.dtype(), "resize_bilinear", [&](auto tag) {
    using T = decltype(tag);
    resize_forward<T>(x.data<T>(), y.data<T>(), g);
  });
  return y;
}

Tensor resize_bilinear_backward(const Tensor& grad_out, const Shape& x_shape, bool align_corners) {
  UNIAD_CHECK(
      grad_out.dim() == 4 && x_shape.size() == 4 && grad_out.size(0) == x_shape[0] && grad_out.size(1) == x_shape[1],
      "resize_bilinear backward: gradient ", shape_str(grad_out.shape()), " does not match input ", shape_str(x_shape));
  const ResizeGeometry g = resize_geometry(x_shape, grad_out.size(2), grad_out.size(3), align_corners);
  if (cuda::on_gpu("resize_bilinear backward", grad_out))
    return cuda::resize_bilinear_backward(grad_out, x_shape, align_corners);
  const Tensor dy = grad_out.contiguous();
  Tensor dx = Tensor::zeros(x_shape, dy.dtype());  // [N, C, H, W]
  dispatch_float(dy.dtype(), "resize_bilinear backward", [&](auto tag) {
    using T = decltype(tag);
    resize_backward<T>(dy.data<T>(), dx.data<T>(), g);
  });
  return dx;
}

}  // namespace uniad::ops

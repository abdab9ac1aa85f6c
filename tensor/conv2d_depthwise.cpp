// Depthwise convolution (groups == C == O): channel c of the output is channel c of the input
// convolved with its own kH x kW filter, weight [C, 1, kH, kW]. Each (image, channel) plane is
// independent, so the loops below work one plane at a time and share planes across threads
// without write conflicts. im2col would copy each channel kH*kW times only to multiply the copy
// by a single filter row; the direct loops read the input in place.
#include <algorithm>

#include "tensor/conv2d.h"
#include "tensor/strided_loop.h"

namespace uniad::ops {

namespace {

// Threads pay off once the whole convolution does enough multiply-adds.
bool worth_threads(const ConvGeometry& g) { return g.N * g.C * g.pixels() * g.kH * g.kW >= kParallelGrain; }

}  // namespace

Tensor depthwise_conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const ConvGeometry& g) {
  Tensor y = Tensor::empty({g.N, g.C, g.Ho, g.Wo}, x.dtype());  // [N, C, Ho, Wo]
  const Tensor b = bias.defined() ? bias.contiguous() : bias;
  dispatch_float(x.dtype(), "conv2d (depthwise)", [&](auto tag) {
    using T = decltype(tag);
    const int64_t planes = g.N * g.C, in_plane = g.H * g.W, out_plane = g.pixels(), taps = g.kH * g.kW;
    const T *x0 = x.data<T>(), *w0 = weight.data<T>(), *b0 = b.defined() ? b.data<T>() : nullptr;
    T* y0 = y.data<T>();
#pragma omp parallel for schedule(static) if (worth_threads(g))
    for (int64_t nc = 0; nc < planes; ++nc) {
      const int64_t c = nc % g.C;
      const T* xp = x0 + nc * in_plane;  // [H, W]
      const T* wp = w0 + c * taps;       // [kH, kW]
      T* yp = y0 + nc * out_plane;       // [Ho, Wo]
      std::fill_n(yp, out_plane, b0 ? b0[c] : T(0));
      for_each_tap_run(g, [&](int64_t tap, int64_t out, int64_t in, int64_t count, int64_t step) {
        const T w = wp[tap];
        for (int64_t i = 0; i < count; ++i) yp[out + i] += w * xp[in + i * step];
      });
    }
  });
  return y;
}

// dx[in] += w[tap] * dy[out] for every tap that read x[in] in the forward pass.
Tensor depthwise_conv2d_backward_input(const Tensor& grad_out, const Tensor& weight, const ConvGeometry& g) {
  Tensor dx = Tensor::zeros({g.N, g.C, g.H, g.W}, grad_out.dtype());  // [N, C, H, W]
  dispatch_float(grad_out.dtype(), "conv2d backward (depthwise)", [&](auto tag) {
    using T = decltype(tag);
    const int64_t planes = g.N * g.C, in_plane = g.H * g.W, out_plane = g.pixels(), taps = g.kH * g.kW;
    const T *dy0 = grad_out.data<T>(), *w0 = weight.data<T>();
    T* dx0 = dx.data<T>();
#pragma omp parallel for schedule(static) if (worth_threads(g))
    for (int64_t nc = 0; nc < planes; ++nc) {
      const T* dyp = dy0 + nc * out_plane;   // [Ho, Wo]
      const T* wp = w0 + (nc % g.C) * taps;  // [kH, kW]
      T* dxp = dx0 + nc * in_plane;          // [H, W]
      for_each_tap_run(g, [&](int64_t tap, int64_t out, int64_t in, int64_t count, int64_t step) {
        const T w = wp[tap];
        for (int64_t i = 0; i < count; ++i) dxp[in + i * step] += w * dyp[out + i];
      });
    }
  });
  return dx;
}

// dw[c, tap] = sum over images and output pixels of dy[n, c, out] * x[n, c, in]. Threads split
// the channels (each owns its filter), and every thread walks all images.
Tensor depthwise_conv2d_backward_weight(const Tensor& grad_out, const Tensor& x, const ConvGeometry& g) {
  Tensor dw = Tensor::zeros({g.C, 1, g.kH, g.kW}, x.dtype());  // [C, 1, kH, kW]
  dispatch_float(x.dtype(), "conv2d backward (depthwise)", [&](auto tag) {
    using T = decltype(tag);
    const int64_t in_plane = g.H * g.W, out_plane = g.pixels(), taps = g.kH * g.kW;
    const T *dy0 = grad_out.data<T>(), *x0 = x.data<T>();
    T* dw0 = dw.data<T>();
#pragma omp parallel for schedule(static) if (worth_threads(g))
    for (int64_t c = 0; c < g.C; ++c) {
      T* dwp = dw0 + c * taps;  // [kH, kW]
      for (int64_t n = 0; n < g.N; ++n) {
        const T* dyp = dy0 + (n * g.C + c) * out_plane;  // [Ho, Wo]
        const T* xp = x0 + (n * g.C + c) * in_plane;     // [H, W]
        for_each_tap_run(g, [&](int64_t tap, int64_t out, int64_t in, int64_t count, int64_t step) {
          T sum = 0;  // one run's dot product, kept in a register
          for (int64_t i = 0; i < count; ++i) sum += dyp[out + i] * xp[in + i * step];
          dwp[tap] += sum;
        });
      }
    }
  });
  return dw;
}

}  // namespace uniad::ops

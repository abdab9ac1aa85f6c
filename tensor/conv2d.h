#pragma once
// 2-D convolution (cross-correlation, as in PyTorch) on NCHW tensors, forward and backward.
//
// Letters: N batch, C input channels, H W input height and width, O output channels,
// kH kW kernel size, Ho Wo output size, G groups (C and O both split into G equal parts).
//
//   x [N, C, H, W], weight [O, C/G, kH, kW], bias [O] (optional) -> y [N, O, Ho, Wo]
//   Ho = (H + pad_top + pad_bottom - dilation_h * (kH - 1) - 1) / stride_h + 1   (likewise Wo)
//
// The fast path unrolls each image's input patches into a matrix (im2col) and multiplies it by
// the weight with one GEMM per group. Depthwise convolutions (G == C == O) use direct loops
// instead: there each group's GEMM shrinks to a [1, kH*kW] x [kH*kW, Ho*Wo] product, which does
// not repay copying the input kH*kW times. conv2d_reference is the plain seven-loop definition
// that both are tested against.
#include <algorithm>

#include "tensor/tensor.h"

namespace uniad::ops {

struct Conv2dParams {
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;  // zero padding, may be asymmetric
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;
};

// Every size a kernel needs, derived once from the shapes and checked (conv2d_geometry).
struct ConvGeometry {
  int64_t N, C, H, W;  // input
  int64_t O, kH, kW;   // weight
  int64_t Ho, Wo;      // output
  int64_t G, Cg, Og;   // groups, input and output channels per group
  Conv2dParams p;

  int64_t patch() const { return Cg * kH * kW; }  // K: one output pixel's inputs in one group
  int64_t pixels() const { return Ho * Wo; }      // L: output pixels per channel
  bool depthwise() const { return G == C && G == O; }
};

// Checks x [N, C, H, W] against weight [O, C/G, kH, kW]; errors name conv2d and both shapes.
ConvGeometry conv2d_geometry(const Shape& x, const Shape& weight, const Conv2dParams& p);

// y [N, O, Ho, Wo]. bias may be undefined.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p);
// dL/dx [N, C, H, W] from dL/dy [N, O, Ho, Wo].
Tensor conv2d_backward_input(const Tensor& grad_out, const Tensor& weight, const Shape& x_shape, const Conv2dParams& p);
// dL/dweight [O, C/G, kH, kW] from dL/dy [N, O, Ho, Wo]. (dL/dbias is the sum of dL/dy over N, Ho, Wo.)
Tensor conv2d_backward_weight(const Tensor& grad_out, const Tensor& x, const Shape& weight_shape,
                              const Conv2dParams& p);

// The definition, one multiply-add at a time: the spec the fast paths are tested against.
Tensor conv2d_reference(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p);

// The outputs [lo, hi) along one axis whose tap reads an input inside [0, size): output o reads
// input o * stride + offset, with offset = k * dilation - pad_before for kernel index k.
struct OutputRange {
  int64_t lo, hi;
};
inline OutputRange inside_outputs(int64_t offset, int64_t stride, int64_t size, int64_t out) {
  const int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;  // first o with input >= 0
  const int64_t hi = size - 1 - offset < 0 ? 0 : std::min(out, (size - 1 - offset) / stride + 1);
  return {lo, std::max(lo, hi)};
}

// Walks one channel plane as runs: for every kernel tap (kh, kw) and output row, calls
//   fn(tap, out, in, count, in_step)
// meaning outputs out, out + 1, ..., out + count - 1 of the [Ho, Wo] plane are multiplied by
// filter entry tap of [kH, kW] with inputs in, in + in_step, ... of the [H, W] plane. Outputs
// whose tap lands in the zero padding are left out of the runs: they add nothing forward and
// receive nothing backward. Each run is a plain strided loop the compiler can vectorise.
template <typename Fn>
void for_each_tap_run(const ConvGeometry& g, Fn&& fn) {
  const Conv2dParams& p = g.p;
  for (int64_t kh = 0; kh < g.kH; ++kh) {
    const int64_t off_h = kh * p.dilation_h - p.pad_top;
    const OutputRange rows = inside_outputs(off_h, p.stride_h, g.H, g.Ho);
    for (int64_t kw = 0; kw < g.kW; ++kw) {
      const int64_t off_w = kw * p.dilation_w - p.pad_left;
      const OutputRange cols = inside_outputs(off_w, p.stride_w, g.W, g.Wo);
      if (cols.hi == cols.lo) continue;
      for (int64_t oh = rows.lo; oh < rows.hi; ++oh) {
        const int64_t ih = oh * p.stride_h + off_h;
        fn(kh * g.kW + kw, oh * g.Wo + cols.lo, ih * g.W + cols.lo * p.stride_w + off_w, cols.hi - cols.lo, p.stride_w);
      }
    }
  }
}

// Depthwise kernels (tensor/conv2d_depthwise.cpp), called by the functions above when
// geometry.depthwise(). x, weight and grad_out must be contiguous.
Tensor depthwise_conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const ConvGeometry& g);
Tensor depthwise_conv2d_backward_input(const Tensor& grad_out, const Tensor& weight, const ConvGeometry& g);
Tensor depthwise_conv2d_backward_weight(const Tensor& grad_out, const Tensor& x, const ConvGeometry& g);

}  // namespace uniad::ops

#pragma once
// Bilinear resize of NCHW images, forward and backward, with PyTorch's
// F.interpolate(mode="bilinear", antialias=False) semantics given an output size.
// Letters: N batch, C channels, H W input size, Ho Wo output size.
//
// Along each axis, output index d reads the source coordinate
//   align_corners = true:   src = d * (in - 1) / (out - 1)              (0 when out == 1)
//   align_corners = false:  src = max((d + 0.5) * in / out - 0.5, 0)    (pixel centres; clamped at 0)
// and blends inputs i0 = floor(src) and i1 = min(i0 + 1, in - 1) with weights 1 - t and t,
// t = src - i0. The 2-D result blends four inputs with the products of the two axes' weights.
#include <vector>

#include "tensor/tensor.h"

namespace uniad::ops {

// The taps of one axis: output d reads (1 - t[d]) * in[i0[d]] + t[d] * in[i1[d]]. Computed once
// on the host and shared by the CPU kernels and the GPU ones (tensor/cuda/resize.cu).
struct BilinearTaps {
  std::vector<int64_t> i0, i1;
  std::vector<double> t;
};
BilinearTaps bilinear_axis_taps(int64_t in, int64_t out, bool align_corners);

// x [N, C, H, W] -> [N, C, out_h, out_w].
Tensor resize_bilinear(const Tensor& x, int64_t out_h, int64_t out_w, bool align_corners);
// dL/dx [N, C, H, W] from dL/dy [N, C, out_h, out_w]: each output's gradient goes back to its
// four inputs with the same weights.
Tensor resize_bilinear_backward(const Tensor& grad_out, const Shape& x_shape, bool align_corners);

}  // namespace uniad::ops

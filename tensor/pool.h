#pragma once
// Average pooling on NCHW tensors, forward and backward. Letters: N batch, C channels,
// H W input size, Ho Wo output size. Every output is the mean of one rectangular window of its
// channel, divided by the window's area (no padding, so every window lies inside the image).
//
//   avg_pool2d:           x [N, C, H, W] -> [N, C, Ho, Wo], Ho = (H - kernel_h) / stride_h + 1;
//                         window i covers rows [i * stride_h, i * stride_h + kernel_h)
//   adaptive_avg_pool2d:  x [N, C, H, W] -> [N, C, out_h, out_w]; window i covers rows
//                         [floor(i * H / out_h), ceil((i + 1) * H / out_h)), PyTorch's bin
//                         edges, so neighbouring windows overlap when out_h does not divide H
#include "tensor/tensor.h"

namespace uniad::ops {

Tensor avg_pool2d(const Tensor& x, int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w);
// dL/dx [N, C, H, W] from dL/dy [N, C, Ho, Wo]: each output's gradient is shared equally by its window.
Tensor avg_pool2d_backward(const Tensor& grad_out, const Shape& x_shape, int64_t kernel_h, int64_t kernel_w,
                           int64_t stride_h, int64_t stride_w);

Tensor adaptive_avg_pool2d(const Tensor& x, int64_t out_h, int64_t out_w);
Tensor adaptive_avg_pool2d_backward(const Tensor& grad_out, const Shape& x_shape);

}  // namespace uniad::ops

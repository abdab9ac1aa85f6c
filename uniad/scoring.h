#pragma once
// From reconstruction to anomaly scores (no gradients involved).
//   map:   sqrt(sum over channels (f_hat - f)^2) at token resolution, [B, 1, H, W]
//          (optionally smoothed at token resolution: eval.map_sigma; the paper does not)
//   pixel: the map upsampled bilinearly with align_corners=True (x16 for 14 -> 224), no blur
//   image: max of a k x k stride-1 average pool of the pixel map (MVTec), or its mean (CIFAR)
#include "tensor/tensor.h"

namespace uniad {

// features, reconstruction [B, C, H, W] -> [B, 1, H, W]
Tensor anomaly_map(const Tensor& features, const Tensor& reconstruction);
// [B, 1, H, W] -> [B, 1, H, W]: Gaussian smoothing with standard deviation sigma (in cells of
// the map), truncated at 3 sigma; weights renormalised over the cells inside the map at the
// border (no padding values). sigma <= 0 returns the map unchanged.
Tensor smooth_map(const Tensor& map, double sigma);
// [B, 1, h, w] -> [B, 1, out_h, out_w], bilinear, align_corners=True
Tensor upsample_map(const Tensor& map, int64_t out_h, int64_t out_w);

enum class ImageScore { MaxAvgPool, Mean, Std };
// [B, 1, H, W] -> [B]; `pool` is the average-pool window for MaxAvgPool (16 in the paper).
Tensor image_scores(const Tensor& pixel_map, ImageScore kind, int64_t pool = 16);

}  // namespace uniad

#pragma once
// Per-channel standardisation of backbone features (data.standardize): z = (f - mean_c) / std_c
// with the mean and standard deviation of each channel over every position of the normal
// training images. The backbone's blocks differ in scale by an order of magnitude (MobileNetV2's
// stride-2 block vs its stride-16 block), so without it the squared-error loss and the anomaly
// map are dominated by the largest channels and subtle colour defects, which live in the early
// blocks, barely register. The statistics come from the feature cache's train split, so a
// checkpoint plus its cache always reproduce them (docs/main_job.md has the measured effect).
#include "tensor/tensor.h"

namespace uniad {

class FeatureStandardizer {
 public:
  // train [N, C, H, W] float32 -> statistics [1, C, 1, 1]; a channel with std below 1e-6 keeps
  // std 1 (a constant channel is shifted, never blown up).
  static FeatureStandardizer fit(const Tensor& train);
  // features [N, C, H, W] -> standardised, same shape.
  Tensor apply(const Tensor& features) const;

  const Tensor& mean() const { return mean_; }
  const Tensor& std() const { return std_; }

 private:
  Tensor mean_, std_;  // [1, C, 1, 1]
};

}  // namespace uniad

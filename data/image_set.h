#pragma once
// A set of small labelled images held as raw bytes, as the 10-class data sets (Fashion-MNIST,
// CIFAR-10) store them. Bytes, not float tensors: 60,000 Fashion-MNIST images are 47 MB as
// uint8 and would be 188 MB as float32, and most runs use a subset. Convert a batch at a time.
//
// Dimension letters: N images, C channels (1 grey, 3 RGB), H height, W width.
#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace uniad::data {

struct ImageSet {
  int64_t count = 0;     // N
  int64_t channels = 0;  // C
  int64_t height = 0;    // H
  int64_t width = 0;     // W
  std::vector<uint8_t> pixels;  // (N, C, H, W) row-major, 0..255
  std::vector<int64_t> labels;  // (N) class ids

  int64_t image_bytes() const { return channels * height * width; }
};

// The listed images as float32 [B, C, H, W] with values pixel / 255 in [0, 1] (B = indices.size()).
// Normalisation for a backbone (ImageNet mean and std, resizing) happens downstream.
Tensor images_to_tensor(const ImageSet& set, const std::vector<int64_t>& indices);

}  // namespace uniad::data

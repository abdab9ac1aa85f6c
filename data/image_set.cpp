#include "data/image_set.h"

namespace uniad::data {

Tensor images_to_tensor(const ImageSet& set, const std::vector<int64_t>& indices) {
  const int64_t b = static_cast<int64_t>(indices.size()), n = set.image_bytes();
  Tensor out = Tensor::empty({b, set.channels, set.height, set.width});  // (B, C, H, W)
  float* dst = out.data<float>();
  for (int64_t i = 0; i < b; ++i) {
    const int64_t k = indices[i];
    UNIAD_CHECK(k >= 0 && k < set.count, "images_to_tensor: index ", k, " out of range for ", set.count, " images");
    const uint8_t* src = set.pixels.data() + k * n;
    for (int64_t j = 0; j < n; ++j) dst[i * n + j] = static_cast<float>(src[j]) / 255.0f;
  }
  return out;
}

}  // namespace uniad::data

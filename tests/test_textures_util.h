#pragma once
// Small synthetic textures for the texture benchmark tests: coloured noise, smoothed with
// wrap-around so that the images tile like the real scans.
#include <algorithm>
#include <cmath>
#include <string>

#include "data/image.h"
#include "tensor/random.h"

namespace uniad::test {

// H x W x 3 noise around `base` with grey std about `std` (before the 3 x 3 smoothing).
inline data::Image noise_texture(int height, int width, uint64_t seed, double std, int r = 180, int g = 160, int b = 140) {
  Generator gen(seed);
  std::vector<double> n(size_t(height) * width);
  for (double& v : n) v = gen.normal() * std * 3;  // the 3 x 3 mean divides the std by 3
  data::Image out = data::Image::zeros8(height, width, 3);
  const int base[3] = {r, g, b};
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      double s = 0;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) s += n[size_t((y + dy + height) % height) * width + (x + dx + width) % width];
      for (int c = 0; c < 3; ++c) out.at(y, x, c) = uint8_t(std::clamp(std::lround(base[c] + s / 9 * (1 + 0.1 * c)), 0L, 255L));
    }
  return out;
}

}  // namespace uniad::test

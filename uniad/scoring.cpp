#include "uniad/scoring.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "autograd/functions.h"
#include "tensor/elementwise.h"
#include "tensor/reduce.h"

namespace uniad {

Tensor anomaly_map(const Tensor& features, const Tensor& reconstruction) {
  UNIAD_CHECK(features.shape() == reconstruction.shape() && features.dim() == 4, "anomaly_map: features ",
              shape_str(features.shape()), " and reconstruction ", shape_str(reconstruction.shape()),
              " must both be [B, C, H, W]");
  const Tensor diff = ops::sub(reconstruction, features);                                    // [B, C, H, W]
  return ops::unary(ops::UnaryOp::Sqrt, ops::sum(ops::unary(ops::UnaryOp::Square, diff), {1}, true));  // [B, 1, H, W]
}

Tensor smooth_map(const Tensor& map, double sigma) {
  UNIAD_CHECK(map.dim() == 4 && map.size(1) == 1, "smooth_map: expected a [B, 1, H, W] map, got ", shape_str(map.shape()));
  if (sigma <= 0) return map;
  const Tensor in = map.to(DType::Float32).contiguous();
  const int64_t B = in.size(0), H = in.size(2), W = in.size(3);
  const int64_t r = static_cast<int64_t>(std::ceil(3 * sigma));
  std::vector<double> g(static_cast<size_t>(2 * r + 1));
  for (int64_t d = -r; d <= r; ++d) g[d + r] = std::exp(-0.5 * double(d * d) / (sigma * sigma));
  Tensor out = Tensor::empty(in.shape(), DType::Float32);
  const float* src = in.data<float>();
  float* dst = out.data<float>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) {
        double sum = 0, weight = 0;
        for (int64_t yy = std::max<int64_t>(0, y - r); yy <= std::min(H - 1, y + r); ++yy)
          for (int64_t xx = std::max<int64_t>(0, x - r); xx <= std::min(W - 1, x + r); ++xx) {
            const double w = g[yy - y + r] * g[xx - x + r];
            sum += w * src[(b * H + yy) * W + xx];
            weight += w;
          }
        dst[(b * H + y) * W + x] = static_cast<float>(sum / weight);
      }
  return out;
}

Tensor upsample_map(const Tensor& map, int64_t out_h, int64_t out_w) {
  ag::NoGradGuard no_grad;
  return ag::resize_bilinear(ag::Variable(map), out_h, out_w, /*align_corners=*/true).data();
}

namespace {

// Max over all k x k windows (stride 1) of their mean, per map: what avg_pool2d(k, stride 1)
// followed by a max gives, in O(H W) per map with a summed-area table in double instead of
// O(H W k^2) (k = 16 on 224 x 224 maps made scoring slower than the model itself).
Tensor max_box_mean(const Tensor& maps, int64_t k) {  // [B, 1, H, W] -> [B]
  const int64_t B = maps.size(0), H = maps.size(2), W = maps.size(3);
  Tensor out = Tensor::empty({B}, DType::Float32);
  const float* in = maps.data<float>();
  float* best = out.data<float>();
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < B; ++b) {
    std::vector<double> sat(static_cast<size_t>((H + 1) * (W + 1)), 0.0);  // sat[(y+1)(W+1) + x+1] = sum of [0..y][0..x]
    const float* m = in + b * H * W;
    for (int64_t y = 0; y < H; ++y) {
      double row = 0;
      for (int64_t x = 0; x < W; ++x) {
        row += m[y * W + x];
        sat[(y + 1) * (W + 1) + x + 1] = sat[y * (W + 1) + x + 1] + row;
      }
    }
    double top = -INFINITY;
    for (int64_t y = 0; y + k <= H; ++y)
      for (int64_t x = 0; x + k <= W; ++x) {
        const double sum = sat[(y + k) * (W + 1) + x + k] - sat[y * (W + 1) + x + k] - sat[(y + k) * (W + 1) + x] +
                           sat[y * (W + 1) + x];
        top = std::max(top, sum);
      }
    best[b] = static_cast<float>(top / static_cast<double>(k * k));
  }
  return out;
}

}  // namespace

Tensor image_scores(const Tensor& pixel_map, ImageScore kind, int64_t pool) {
  UNIAD_CHECK(pixel_map.dim() == 4 && pixel_map.size(1) == 1, "image_scores: expected a [B, 1, H, W] map, got ",
              shape_str(pixel_map.shape()));
  switch (kind) {
    case ImageScore::Mean: return ops::mean(pixel_map, {1, 2, 3});
    case ImageScore::Std: return ops::unary(ops::UnaryOp::Sqrt, ops::var(pixel_map, {1, 2, 3}));
    case ImageScore::MaxAvgPool: {
      UNIAD_CHECK(pool >= 1 && pool <= pixel_map.size(2) && pool <= pixel_map.size(3), "image_scores: pool window ",
                  pool, " exceeds the map ", shape_str(pixel_map.shape()));
      return max_box_mean(pixel_map.to(DType::Float32).contiguous(), pool);  // [B]
    }
  }
  return Tensor();
}

}  // namespace uniad

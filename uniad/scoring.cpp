#include "uniad/scoring.h"

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

Tensor upsample_map(const Tensor& map, int64_t out_h, int64_t out_w) {
  ag::NoGradGuard no_grad;
  return ag::resize_bilinear(ag::Variable(map), out_h, out_w, /*align_corners=*/true).data();
}

Tensor image_scores(const Tensor& pixel_map, ImageScore kind, int64_t pool) {
  UNIAD_CHECK(pixel_map.dim() == 4 && pixel_map.size(1) == 1, "image_scores: expected a [B, 1, H, W] map, got ",
              shape_str(pixel_map.shape()));
  const int64_t B = pixel_map.size(0);
  switch (kind) {
    case ImageScore::Mean: return ops::mean(pixel_map, {1, 2, 3});
    case ImageScore::Std: return ops::unary(ops::UnaryOp::Sqrt, ops::var(pixel_map, {1, 2, 3}));
    case ImageScore::MaxAvgPool: {
      UNIAD_CHECK(pool <= pixel_map.size(2) && pool <= pixel_map.size(3), "image_scores: pool window ", pool,
                  " exceeds the map ", shape_str(pixel_map.shape()));
      ag::NoGradGuard no_grad;
      const Tensor pooled = ag::avg_pool2d(ag::Variable(pixel_map), pool, pool, 1, 1).data();  // [B, 1, H-k+1, W-k+1]
      return ops::max(pooled.reshape({B, -1}), 1).values;                                       // [B]
    }
  }
  return Tensor();
}

}  // namespace uniad

#include "uniad/feature_norm.h"

#include <cmath>

#include "tensor/elementwise.h"
#include "tensor/error.h"
#include "tensor/reduce.h"

namespace uniad {

FeatureStandardizer FeatureStandardizer::fit(const Tensor& train) {
  UNIAD_CHECK(train.dim() == 4 && train.dtype() == DType::Float32 && train.size(0) > 0,
              "FeatureStandardizer: training features must be float32 [N, C, H, W] with N > 0, got ",
              dtype_name(train.dtype()), " ", shape_str(train.shape()));
  FeatureStandardizer s;
  const Tensor as_double = train.to(DType::Float64);  // sums over ~10^5 positions per channel
  s.mean_ = ops::mean(as_double, {0, 2, 3}, true);    // [1, C, 1, 1]
  Tensor var = ops::var(as_double, {0, 2, 3}, true);  // [1, C, 1, 1]
  double* v = var.data<double>();
  for (int64_t c = 0; c < var.numel(); ++c) v[c] = v[c] < 1e-12 ? 1.0 : std::sqrt(v[c]);
  s.mean_ = s.mean_.to(DType::Float32);
  s.std_ = var.to(DType::Float32);
  return s;
}

Tensor FeatureStandardizer::apply(const Tensor& features) const {
  UNIAD_CHECK(features.dim() == 4 && features.size(1) == mean_.size(1), "FeatureStandardizer: features ",
              shape_str(features.shape()), " do not match statistics of ", mean_.size(1), " channels");
  return ops::div(ops::sub(features, mean_), std_);
}

}  // namespace uniad

// Anomaly maps and image scores, checked by hand.
#include "test_util.h"
#include "autograd/functions.h"
#include "tensor/random.h"
#include "tensor/reduce.h"
#include "uniad/scoring.h"

using namespace uniad;

TEST_CASE("scoring: the anomaly map is the L2 norm over channels of the reconstruction error") {
  // One image, 2 channels, 1 x 2 tokens: errors (3, 4) -> 5 and (0, 0) -> 0.
  const Tensor f = Tensor::zeros({1, 2, 1, 2});
  const Tensor r = Tensor::from_vector({3, 0, 4, 0}, {1, 2, 1, 2});
  const Tensor m = anomaly_map(f, r);
  CHECK(m.shape() == Shape{1, 1, 1, 2});
  CHECK(m.to_vector() == std::vector<double>{5, 0});
  CHECK_THROWS_WITH_AS(anomaly_map(f, Tensor::zeros({1, 3, 1, 2})), doctest::Contains("[1, 3, 1, 2]"), Error);
}

TEST_CASE("scoring: x16 upsampling with align_corners=True keeps the corner values and interpolates linearly") {
  const Tensor m = Tensor::from_vector({0, 1, 2, 3}, {1, 1, 2, 2});
  const Tensor up = upsample_map(m, 32, 32);
  CHECK(up.shape() == Shape{1, 1, 32, 32});
  CHECK(up.at({0, 0, 0, 0}) == 0);
  CHECK(up.at({0, 0, 0, 31}) == doctest::Approx(1));
  CHECK(up.at({0, 0, 31, 31}) == doctest::Approx(3));
  CHECK(up.at({0, 0, 0, 15}) == doctest::Approx(15.0 / 31.0));  // linear in the column index
}

TEST_CASE("scoring: image scores (max of the 16x16 average pool, mean, std)") {
  Tensor m = Tensor::zeros({2, 1, 32, 32});
  // Image 0: one hot 16x16 block of value 2 -> the best window covers it exactly: score 2.
  for (int64_t y = 8; y < 24; ++y)
    for (int64_t x = 4; x < 20; ++x) m.set({0, 0, y, x}, 2.0);
  // Image 1: a single hot pixel of 256 -> any window containing it averages to 1.
  m.set({1, 0, 0, 0}, 256.0);
  const Tensor s = image_scores(m, ImageScore::MaxAvgPool, 16);
  CHECK(s.to_vector()[0] == doctest::Approx(2.0));
  CHECK(s.to_vector()[1] == doctest::Approx(1.0));
  const Tensor mean = image_scores(m, ImageScore::Mean);
  CHECK(mean.to_vector()[0] == doctest::Approx(2.0 * 256 / 1024));
  CHECK(mean.to_vector()[1] == doctest::Approx(256.0 / 1024));
  CHECK(image_scores(Tensor::full({1, 1, 4, 4}, 3.0), ImageScore::Std).item() == doctest::Approx(0.0));
  CHECK_THROWS_AS(image_scores(m, ImageScore::MaxAvgPool, 33), Error);
}

TEST_CASE("scoring: the summed-area max of box means equals avg_pool2d then max") {
  Generator gen(11);
  const Tensor maps = rand_uniform({3, 1, 40, 37}, 0.0, 1.0, gen);
  double largest = 0;
  for (int64_t k : {1, 3, 16, 37}) {
    ag::NoGradGuard no_grad;
    const Tensor pooled = ag::avg_pool2d(ag::Variable(maps), k, k, 1, 1).data();        // [3, 1, 40-k+1, 37-k+1]
    const std::vector<double> ref = ops::max(pooled.reshape({3, -1}), 1).values.to_vector();  // the plain reference
    const std::vector<double> fast = image_scores(maps, ImageScore::MaxAvgPool, k).to_vector();
    for (size_t i = 0; i < ref.size(); ++i) largest = std::max(largest, double(std::fabs(ref[i] - fast[i])));
  }
  MESSAGE("largest difference from avg_pool2d + max: " << largest);
  CHECK(largest < 1e-5);
}

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

TEST_CASE("scoring: smooth_map is a border-renormalised Gaussian at token resolution") {
  Tensor m = Tensor::zeros({1, 1, 5, 5});
  m.set({0, 0, 2, 2}, 1.0);  // an impulse in the middle
  m.set({0, 0, 0, 0}, 1.0);  // and one in the corner
  const Tensor s = smooth_map(m, 0.5);
  // sigma 0.5 -> radius ceil(1.5) = 2; 1-D weights exp(-2 d^2) for d = -2..2.
  const double w1 = std::exp(-2.0), w2 = std::exp(-8.0);
  const double full = 1 + 2 * w1 + 2 * w2;  // the 1-D sum over the whole window
  double largest = 0;
  // The centre of the middle impulse keeps 1 / full^2 (its window lies inside the map) plus the
  // corner impulse's w2 * w2 / full^2.
  largest = std::max(largest, std::fabs(s.at({0, 0, 2, 2}) - (1 + w2 * w2) / (full * full)));
  // The corner's window is clipped to rows/cols 0..2: weights renormalised over (1 + w1 + w2)^2.
  const double corner = 1 + w1 + w2;
  largest = std::max(largest, std::fabs(s.at({0, 0, 0, 0}) - (1 + w2 * w2) / (corner * corner)));
  MESSAGE("largest difference from the hand-computed Gaussian: " << largest);
  CHECK(largest < 1e-6);
  CHECK(test::max_abs_diff(smooth_map(m, 0), m) == 0);  // sigma 0: unchanged
  // A constant map stays constant (renormalisation keeps the mean at the border).
  CHECK(test::max_abs_diff(smooth_map(Tensor::full({2, 1, 4, 6}, 3.0), 1.3), Tensor::full({2, 1, 4, 6}, 3.0)) < 1e-6);
}

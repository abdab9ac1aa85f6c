// Scoring a test split and its metrics per class and per defect kind (uniad/evaluate.h), and the
// per-channel standardisation of features (uniad/feature_norm.h).
#include "test_util.h"
#include "tensor/reduce.h"
#include "uniad/evaluate.h"
#include "uniad/feature_norm.h"

using namespace uniad;

namespace {
// Two classes, 6 images each: 2 normal, 2 "stain", 2 "hole"; masks of 8 x 8 with a 2 x 2 defect.
data::FeatureSplit toy_split() {
  data::FeatureSplit s;
  s.split = "test";
  s.class_names = {"a", "b"};
  s.mask_size = 8;
  for (int c = 0; c < 2; ++c)
    for (const char* kind : {"good", "good", "stain", "stain", "hole", "hole"}) {
      const bool bad = std::string(kind) != "good";
      s.labels.push_back(bad);
      s.class_ids.push_back(c);
      s.defects.push_back(kind);
      std::vector<uint8_t> mask(64, 0);
      if (bad) mask[9] = mask[10] = mask[17] = mask[18] = 1;
      s.masks.insert(s.masks.end(), mask.begin(), mask.end());
    }
  return s;
}
}  // namespace

TEST_CASE("evaluate: per-class and per-defect rows agree with metrics on the hand-picked subsets") {
  const data::FeatureSplit test = toy_split();
  ScoredSplit scored;
  scored.count = 12;
  scored.size = 8;
  scored.maps.assign(12 * 64, 0.f);
  // Scores: holes are found (high), stains are not (below the normal images) in class a.
  scored.image_scores = {1, 2, 0.5, 0.6, 9, 8, 1, 2, 3, 4, 9, 8};
  for (int i = 0; i < 12; ++i)
    if (test.labels[i]) scored.maps[i * 64 + 9] = 5.f;  // one of the four defect pixels lights up
  const EvaluationReport per_class = evaluate_split(test, scored);
  REQUIRE(per_class.classes.size() == 2);
  // class a: positives {0.5, 0.6, 9, 8} vs negatives {1, 2}: 4 of 8 pairs won -> 0.5
  CHECK(per_class.classes[0].image.auroc == doctest::Approx(0.5));
  CHECK(per_class.classes[1].image.auroc == doctest::Approx(1.0));
  const EvaluationReport per_defect = evaluate_per_defect(test, scored);
  REQUIRE(per_defect.classes.size() == 2);
  CHECK(per_defect.classes[0].name == "stain");
  CHECK(per_defect.classes[1].name == "hole");
  CHECK(per_defect.classes[0].images == 4);  // the defective images of that kind, over both classes
  // stain: class a 0.0 (both below both normals), class b 1.0 -> mean 0.5; hole: 1.0 in both
  CHECK(per_defect.classes[0].image.auroc == doctest::Approx(0.5));
  CHECK(per_defect.classes[1].image.auroc == doctest::Approx(1.0));
  CHECK(per_defect.mean.image.auroc == doctest::Approx(0.75));
  CHECK(per_defect.classes[1].pixel.auroc > 0.5);
  scored.count = 11;
  CHECK_THROWS_AS(evaluate_split(test, scored), Error);
}

TEST_CASE("evaluate: a one-class-vs-rest split (Fashion-MNIST, CIFAR-10) is measured as one pool") {
  // Classes 0 and 1 normal, 2 and 3 anomalous, two images each; no defect pixels.
  data::FeatureSplit test;
  test.class_names = {"c0", "c1", "c2", "c3"};
  test.mask_size = 2;
  test.class_ids = {0, 0, 1, 1, 2, 2, 3, 3};
  test.labels = {0, 0, 0, 0, 1, 1, 1, 1};
  test.masks.assign(8 * 4, 0);
  CHECK(is_one_class_vs_rest(test));
  CHECK_FALSE(is_one_class_vs_rest(toy_split()));
  ScoredSplit scored;
  scored.count = 8;
  scored.size = 2;
  scored.maps.assign(8 * 4, 0.f);
  scored.image_scores = {1, 5, 2, 3, 4, 6, 7, 8};  // only 4 < 5 loses: 15 of 16 pairs -> 0.9375
  const EvaluationReport r = evaluate_split(test, scored);
  REQUIRE(r.classes.size() == 1);
  CHECK(r.classes[0].name == "all classes");
  CHECK(r.mean.image.auroc == doctest::Approx(0.9375));
  CHECK_FALSE(r.has_pixel);
  REQUIRE(!r.notes.empty());
  CHECK(r.notes.back().find("one AUROC over all 8 test images of 4 classes") != std::string::npos);
}

TEST_CASE("evaluate: score_features upsamples token maps and scores every image") {
  const Tensor features = test::randn({5, 3, 4, 4}, 3, DType::Float32);
  // A map function that returns the first channel as the token map.
  const MapFunction first_channel = [](const Tensor& f) { return f.slice(1, 0, 1).contiguous(); };
  EvalConfig eval;
  eval.image_score = "mean";
  eval.batch_size = 2;  // three batches, the last one short
  int64_t last_done = 0;
  const ScoredSplit s = score_features(features, first_channel, 16, eval, [&](int64_t d, int64_t) { last_done = d; });
  CHECK(last_done == 5);
  REQUIRE(s.maps.size() == 5 * 16 * 16);
  double largest = 0;
  for (int64_t i = 0; i < 5; ++i) {
    // align_corners=True keeps the corners: pixel (0, 0) is token (0, 0), pixel (15, 15) is token (3, 3).
    largest = std::max(largest, double(std::fabs(s.maps[i * 256] - features.at({i, 0, 0, 0}))));
    largest = std::max(largest, double(std::fabs(s.maps[i * 256 + 255] - features.at({i, 0, 3, 3}))));
    double mean = 0;
    for (int k = 0; k < 256; ++k) mean += s.maps[i * 256 + k];
    largest = std::max(largest, std::fabs(mean / 256 - s.image_scores[i]));
  }
  MESSAGE("largest difference (corners and mean score): " << largest);
  CHECK(largest < 1e-5);
  eval.image_score = "median";
  CHECK_THROWS_AS(score_features(features, first_channel, 16, eval), Error);
}

TEST_CASE("feature_norm: standardised training features have mean 0 and std 1 per channel") {
  Tensor train = test::randn({6, 3, 5, 5}, 8, DType::Float32);
  for (int64_t n = 0; n < 6; ++n)
    for (int64_t y = 0; y < 5; ++y)
      for (int64_t x = 0; x < 5; ++x) {
        train.set({n, 1, y, x}, 40.0 + 7.0 * train.at({n, 1, y, x}));  // a large channel
        train.set({n, 2, y, x}, 3.0);                                   // a constant channel
      }
  const FeatureStandardizer z = FeatureStandardizer::fit(train);
  const Tensor out = z.apply(train);
  const std::vector<double> mean = ops::mean(out, {0, 2, 3}).to_vector();
  const std::vector<double> var = ops::var(out, {0, 2, 3}).to_vector();
  double largest = 0;
  for (int c = 0; c < 2; ++c) largest = std::max({largest, double(std::fabs(mean[c])), double(std::fabs(var[c] - 1))});
  MESSAGE("largest deviation from mean 0 / variance 1: " << largest);
  CHECK(largest < 1e-4);
  CHECK(std::fabs(mean[2]) < 1e-6);  // the constant channel is shifted to 0, not divided by ~0
  CHECK(var[2] == doctest::Approx(0.0));
  CHECK_THROWS_AS(z.apply(test::randn({1, 4, 5, 5}, 1, DType::Float32)), Error);
}

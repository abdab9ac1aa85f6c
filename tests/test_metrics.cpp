// Metrics on small hand-computed cases, edge cases (undefined -> NaN, bad input -> Error),
// region labelling, and the per-class report. Golden comparisons: test_metrics_golden.cpp.
#include <chrono>

#include "test_util.h"
#include "uniad/metrics.h"

using namespace uniad;

namespace {

BinaryMetrics metrics_of(std::vector<double> scores, std::vector<uint8_t> labels) {
  return binary_metrics(std::span<const double>(scores), labels);
}

void check_value(const std::string& what, double actual, double expected, double atol = 1e-15) {
  test::check_close(what, Tensor::scalar(actual, DType::Float64), Tensor::scalar(expected, DType::Float64), atol);
}

}  // namespace

TEST_CASE("metrics: four samples by hand (sklearn's roc_auc_score example)") {
  // Thresholds 0.8, 0.4, 0.35, 0.1: (tp, fp) = (1,0), (1,1), (2,1), (2,2).
  const BinaryMetrics m = metrics_of({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1});
  check_value("hand auroc", m.auroc, 0.75);
  check_value("hand ap = 0.5 * 1 + 0.5 * 2/3", m.average_precision, 0.5 + 1.0 / 3.0);
  check_value("hand f1-max at (p, r) = (2/3, 1)", m.f1_max, 0.8);
  CHECK(m.positives == 2);
  CHECK(m.negatives == 2);
}

TEST_CASE("metrics: tied scores form one step") {
  // Scores {1, 1, 0, 0}: two thresholds, each with one positive and one negative.
  const BinaryMetrics m = metrics_of({1, 1, 0, 0}, {1, 0, 1, 0});
  check_value("tied auroc", m.auroc, 0.5);
  check_value("tied ap", m.average_precision, 0.5);
  check_value("tied f1-max", m.f1_max, 2.0 / 3.0);
  // All scores equal: one threshold, AUROC 0.5 (the diagonal), AP = prevalence.
  const BinaryMetrics e = metrics_of({3, 3, 3, 3, 3}, {1, 0, 0, 0, 1});
  check_value("all-equal auroc", e.auroc, 0.5);
  check_value("all-equal ap", e.average_precision, 0.4);
}

TEST_CASE("metrics: perfect and inverted separation, and an AUROC of 0 stays 0") {
  const BinaryMetrics p = metrics_of({0.9, 0.8, 0.2, 0.1}, {1, 1, 0, 0});
  check_value("perfect auroc", p.auroc, 1.0);
  check_value("perfect ap", p.average_precision, 1.0);
  check_value("perfect f1", p.f1_max, 1.0);
  const BinaryMetrics inv = metrics_of({0.1, 0.2, 0.8, 0.9}, {1, 1, 0, 0});
  check_value("inverted auroc (not flipped)", inv.auroc, 0.0);
  // Positives at ranks 3, 4: AP = 0.5 * 1/3 + 0.5 * 2/4; F1-max at the last threshold = 2/3.
  check_value("inverted ap", inv.average_precision, 0.5 / 3 + 0.25);
  check_value("inverted f1", inv.f1_max, 2.0 / 3.0);
}

TEST_CASE("metrics: one class only is undefined (NaN, printed n/a)") {
  const BinaryMetrics pos = metrics_of({0.1, 0.2}, {1, 1});
  const BinaryMetrics neg = metrics_of({0.1, 0.2}, {0, 0});
  const BinaryMetrics none = metrics_of({}, {});
  for (const BinaryMetrics* m : {&pos, &neg, &none}) {
    CHECK(std::isnan(m->auroc));
    CHECK(std::isnan(m->average_precision));
    CHECK(std::isnan(m->f1_max));
  }
  CHECK(pos.positives == 2);
  CHECK(format_metric(pos.auroc) == "n/a");
  CHECK(format_metric(0.97314) == "0.9731");
}

TEST_CASE("metrics: float32 and float64 scores and the tensor overload agree") {
  std::vector<float> f = {0.5f, 0.25f, 0.25f, 1.0f, 0.0f, 0.75f};
  std::vector<double> d(f.begin(), f.end());
  std::vector<uint8_t> y = {1, 0, 1, 1, 0, 0};
  const BinaryMetrics a = binary_metrics(std::span<const float>(f), y);
  const BinaryMetrics b = binary_metrics(std::span<const double>(d), y);
  const BinaryMetrics c = binary_metrics(Tensor::from_vector(d, {2, 3}),
                                         Tensor::from_vector({1, 0, 1, 1, 0, 0}, {2, 3}, DType::Int64));
  CHECK(a.auroc == b.auroc);
  CHECK(a.average_precision == c.average_precision);
  CHECK(a.f1_max == c.f1_max);
}

TEST_CASE("metrics: bad input throws and names the problem") {
  CHECK(test::contains(test::error_of([] { metrics_of({0.1, NAN}, {0, 1}); }), "score 1 is NaN"));
  CHECK(test::contains(test::error_of([] { metrics_of({0.1, 0.2}, {0, 2}); }), "label 1 is 2"));
  CHECK(test::contains(test::error_of([] { metrics_of({0.1, 0.2}, {0}); }), "2 scores but 1 labels"));
  CHECK(test::contains(test::error_of([] { binary_metrics(Tensor::zeros({3}), Tensor::full({3}, 0.5)); }),
                       "element 0 is 0.5"));
  CHECK(test::contains(test::error_of([] { aupro(Tensor::zeros({2, 3}), Tensor::zeros({2, 3})); }),
                       "expected [N, H, W]"));
}

TEST_CASE("metrics: regions are 8-connected and numbered in raster order") {
  // 1 1 0 0 0
  // 0 0 1 0 1    the diagonal step joins the first block; the right column is a second region
  // 0 0 0 0 1
  const std::vector<uint8_t> mask = {1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1};
  std::vector<int32_t> lab(mask.size());
  CHECK(label_regions(mask, 3, 5, lab) == 2);
  const std::vector<int32_t> expected = {0, 0, -1, -1, -1, -1, -1, 0, -1, 1, -1, -1, -1, -1, 1};
  CHECK(lab == expected);
}

TEST_CASE("metrics: AUPRO by hand and its undefined cases") {
  // One image 1 x 5, two one-pixel regions (pixels 0 and 2), three normal pixels.
  // Thresholds 0.9: (FPR, PRO) = (0, 1/2); 0.8: (1/3, 1/2) -> cut at 0.3 with PRO 1/2.
  // Area 0.3 * 0.5, divided by 0.3: 0.5.
  const std::vector<float> maps = {0.9f, 0.8f, 0.7f, 0.6f, 0.5f};
  const std::vector<uint8_t> masks = {1, 0, 1, 0, 0};
  check_value("aupro by hand", aupro(maps, masks, 1, 1, 5), 0.5);
  // With max_fpr 1: (0,1/2) (1/3,1/2) (1/3,1) (2/3,1) (1,1): 1/6 + 2/3 = 5/6.
  check_value("aupro by hand, max_fpr 1", aupro(maps, masks, 1, 1, 5, 1.0), 5.0 / 6.0, 1e-15);
  const std::vector<float> perfect = {0.9f, 0.1f, 0.8f, 0.2f, 0.3f};
  check_value("aupro perfect", aupro(perfect, masks, 1, 1, 5), 1.0);
  const std::vector<float> inverted = {0.1f, 0.9f, 0.2f, 0.8f, 0.7f};
  check_value("aupro inverted", aupro(inverted, masks, 1, 1, 5), 0.0);
  CHECK(std::isnan(aupro(maps, std::vector<uint8_t>(5, 0), 1, 1, 5)));  // no defect region
  CHECK(std::isnan(aupro(maps, std::vector<uint8_t>(5, 1), 1, 1, 5)));  // no normal pixel
}

TEST_CASE("metrics: per-class report, mean over classes skips NaN with a note") {
  // Samples of "bottle" (0) and "cable" (1) interleaved (the gathering path); "grid" (2) has only
  // normal images, "wood" (3) none. Maps [6, 2, 2].
  const std::vector<double> scores = {0.9, 0.1, 0.2, 0.8, 0.4, 0.3};
  const std::vector<uint8_t> labels = {1, 0, 0, 1, 0, 0};
  const std::vector<int64_t> ids = {0, 1, 0, 1, 2, 2};
  std::vector<float> maps(24);
  std::vector<uint8_t> masks(24, 0);
  for (size_t i = 0; i < maps.size(); ++i) maps[i] = static_cast<float>((i * 7) % 11) / 11.0f;
  masks[0] = masks[3] = masks[13] = 1;
  EvaluationInput in{scores, labels, ids, {"bottle", "cable", "grid", "wood"}, maps, masks, 2, 2};
  const EvaluationReport r = evaluate_per_class(in);
  REQUIRE(r.classes.size() == 3);
  CHECK(r.classes[0].name == "bottle");
  CHECK(r.classes[0].images == 2);

  // Each class equals the metrics of its own samples.
  const std::vector<float> cable_maps(maps.begin() + 4, maps.begin() + 8);
  std::vector<float> cable_maps_all = cable_maps;
  cable_maps_all.insert(cable_maps_all.end(), maps.begin() + 12, maps.begin() + 16);
  std::vector<uint8_t> cable_masks(masks.begin() + 4, masks.begin() + 8);
  cable_masks.insert(cable_masks.end(), masks.begin() + 12, masks.begin() + 16);
  const BinaryMetrics cable_pixel = binary_metrics(std::span<const float>(cable_maps_all), cable_masks);
  CHECK(r.classes[1].pixel.auroc == cable_pixel.auroc);
  CHECK(r.classes[1].aupro == aupro(cable_maps_all, cable_masks, 2, 2, 2));
  CHECK(std::isnan(r.classes[2].image.auroc));
  CHECK(std::isnan(r.classes[2].aupro));

  const double mean_auroc = (r.classes[0].image.auroc + r.classes[1].image.auroc) / 2;
  check_value("mean image auroc over 2 defined classes", r.mean.image.auroc, mean_auroc);
  CHECK(r.mean.images == 6);
  REQUIRE(!r.notes.empty());
  CHECK(test::contains(r.notes[0], "image AUROC: mean over 2 of 3 classes, undefined for grid"));

  const nlohmann::json j = to_json(r);
  CHECK(j["classes"].size() == 3);
  CHECK(j["classes"][2]["image_auroc"].is_null());
  CHECK(j["mean"]["image_auroc"].get<double>() == r.mean.image.auroc);
  CHECK(j["mean"].contains("aupro"));
  const std::string md = to_markdown(r);
  std::printf("%s", md.c_str());
  CHECK(test::contains(md, "| class | images | image AUROC | image AP | image F1-max | pixel AUROC |"));
  CHECK(test::contains(md, "| grid | 2 | n/a |"));
  CHECK(test::contains(md, "| **mean** | 6 | " + format_metric(mean_auroc) + " |"));

  // Image level only: no pixel columns.
  EvaluationInput image_only;
  image_only.image_scores = scores;
  image_only.image_labels = labels;
  image_only.class_ids = ids;
  image_only.class_names = {"bottle", "cable", "grid"};
  const EvaluationReport img = evaluate_per_class(image_only);
  CHECK(!test::contains(to_markdown(img), "AUPRO"));
  CHECK(!to_json(img)["mean"].contains("aupro"));
  image_only.class_names = {"bottle"};
  CHECK(test::contains(test::error_of([&] { evaluate_per_class(image_only); }),
                       "class id 1 of sample 1 outside [0, 1)"));
}

// Not a timed test: prints how long the pixel metrics take on 100 maps of 224 x 224. Run with
//   ./build/tests/uniad_tests -tc="*metrics speed*" --no-skip
TEST_CASE("metrics speed: pixel AUROC, AP, F1-max and AUPRO on 100 x 224 x 224" * doctest::skip()) {
  const int64_t n = 100, h = 224, w = 224;
  Generator gen(7);
  const Tensor noise = rand_uniform({n, h, w}, 0.0, 1.0, gen, DType::Float32);  // [N, H, W]
  std::vector<float> maps(noise.data<float>(), noise.data<float>() + n * h * w);
  std::vector<uint8_t> masks(maps.size(), 0);
  for (int64_t i = 0; i < n; i += 2)  // every other image: two square defects
    for (int64_t y = 0; y < 30; ++y)
      for (int64_t x = 0; x < 30; ++x) {
        for (int64_t off : {(40 + y) * w + 40 + x, (150 + y) * w + 120 + x}) {
          masks[i * h * w + off] = 1;
          maps[i * h * w + off] += 0.5f;
        }
      }
  auto t0 = std::chrono::steady_clock::now();
  const BinaryMetrics m = binary_metrics(std::span<const float>(maps), masks);
  auto t1 = std::chrono::steady_clock::now();
  const double a = aupro(maps, masks, n, h, w);
  auto t2 = std::chrono::steady_clock::now();
  const double s1 = std::chrono::duration<double>(t1 - t0).count(), s2 = std::chrono::duration<double>(t2 - t1).count();
  std::printf("[speed] %lld pixels: AUROC+AP+F1 %.3f s (AUROC %.4f), AUPRO %.3f s (%.4f)\n",
              static_cast<long long>(maps.size()), s1, m.auroc, s2, a);
  CHECK(m.auroc > 0.5);
  CHECK(a > 0.5);
}

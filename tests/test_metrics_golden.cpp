// Metrics against tests/fixtures/metrics_golden.h5, made by tools/make_metrics_golden.py:
// AUROC / AP / F1-max from sklearn 1.2 (image level and pixel level on small maps), AUPRO from
// tools/aupro_reference.py (cross-checked there against an MVTec-style cumulative-sum version).
// Undefined metrics are NaN on both sides.
#include <filesystem>

#include "tensor/hdf5_io.h"
#include "test_util.h"
#include "uniad/metrics.h"

using namespace uniad;

namespace {

h5::File open_metrics_golden() {
  const std::string path = std::string(UNIAD_FIXTURE_DIR) + "/metrics_golden.h5";
  REQUIRE_MESSAGE(std::filesystem::exists(path), "fixture ", path,
                  " is missing; regenerate it with /usr/bin/python3 tools/make_metrics_golden.py");
  return h5::File::open_read(path);
}

// NaN must meet NaN; numbers must be close. Prints the largest difference like check_close.
void check_metrics(const std::string& what, const std::vector<double>& actual, const std::vector<double>& expected,
                   double atol) {
  REQUIRE(actual.size() == expected.size());
  double worst = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    const bool na = std::isnan(actual[i]), ne = std::isnan(expected[i]);
    CHECK_MESSAGE(na == ne, what, " [", i, "]: ", actual[i], " vs expected ", expected[i]);
    if (!na && !ne) {
      worst = std::max(worst, std::abs(actual[i] - expected[i]));
      CHECK_MESSAGE(std::abs(actual[i] - expected[i]) <= atol, what, " [", i, "]: ", actual[i], " vs expected ",
                    expected[i]);
    }
  }
  std::printf("[compare] %-48s max |diff| = %.3e (atol %.1e, rtol %.1e)\n", what.c_str(), worst, atol, 0.0);
}

std::vector<double> as_vector(const BinaryMetrics& m) { return {m.auroc, m.average_precision, m.f1_max}; }

}  // namespace

TEST_CASE("metrics golden: image-level AUROC, AP, F1-max match sklearn") {
  const h5::File f = open_metrics_golden();
  const auto cases = f.list_groups("/image");
  REQUIRE(cases.size() >= 10);
  for (const std::string& name : cases) {
    const std::string& g = name;  // full path, /image/<case>
    const Tensor scores = f.read(g + "/scores", DType::Float64);
    const Tensor labels = f.read(g + "/labels", DType::Float64);
    const std::vector<double> expected = f.read(g + "/expected", DType::Float64).to_vector();
    check_metrics("image " + name + " (float64)", as_vector(binary_metrics(scores, labels)), expected, 1e-12);
  }
}

TEST_CASE("metrics golden: pixel-level AUROC, AP, F1-max match sklearn and AUPRO the reference") {
  const h5::File f = open_metrics_golden();
  const auto cases = f.list_groups("/pixel");
  REQUIRE(cases.size() >= 4);
  for (const std::string& name : cases) {
    const std::string& g = name;  // full path, /pixel/<case>
    const Tensor maps = f.read(g + "/maps", DType::Float32);    // [N, H, W]
    const Tensor masks = f.read(g + "/masks", DType::Float32);  // [N, H, W]
    const std::vector<double> expected = f.read(g + "/expected", DType::Float64).to_vector();
    check_metrics("pixel " + name, as_vector(binary_metrics(maps, masks)), expected, 1e-12);
    const double expected_aupro = f.read(g + "/aupro", DType::Float64).item();
    check_metrics("aupro " + name, {aupro(maps, masks)}, {expected_aupro}, 1e-10);
    // The [N, 1, H, W] layout of the scoring code gives the same number.
    check_metrics("aupro " + name + " [N,1,H,W]", {aupro(maps.unsqueeze(1), masks)}, {expected_aupro}, 1e-10);
  }
}

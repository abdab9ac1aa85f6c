// The decision threshold of `uniad predict`: numpy-style quantiles and the threshold file.
#include <filesystem>
#include <fstream>

#include "test_util.h"
#include "uniad/threshold.h"

using namespace uniad;

TEST_CASE("threshold: quantile interpolates linearly like numpy.quantile") {
  const std::vector<double> s = {3, 1, 4, 1, 5, 9, 2, 6};  // sorted: 1 1 2 3 4 5 6 9
  // numpy.quantile(s, q) for q = 0, 0.5, 0.9, 0.99, 1: 1, 3.5, 6.9, 8.79, 9
  const std::vector<std::pair<double, double>> expected = {{0, 1}, {0.5, 3.5}, {0.9, 6.9}, {0.99, 8.79}, {1, 9}};
  double largest = 0;
  for (const auto& [q, want] : expected) largest = std::max(largest, std::fabs(quantile(s, q) - want));
  MESSAGE("largest difference from numpy.quantile: " << largest);
  CHECK(largest < 1e-12);
  CHECK(quantile(std::vector<double>{7}, 0.3) == 7);
  CHECK_THROWS_AS(quantile(std::vector<double>{}, 0.5), Error);
  CHECK_THROWS_AS(quantile(s, 1.5), Error);
  CHECK_THROWS_AS(quantile(std::vector<double>{1, NAN}, 0.5), Error);
}

TEST_CASE("threshold: the file round-trips and a broken one names the key") {
  test::TempDir dir("threshold");
  Threshold t;
  t.value = 12.5;
  t.quantile = 0.99;
  t.validation_images = 136;
  t.checkpoint = "runs/x/best.h5";
  t.map_lo = 0.5f;
  t.map_hi = 30.25f;
  const std::string path = dir / "threshold.json";
  write_threshold(path, t);
  const Threshold r = read_threshold(path);
  CHECK(r.value == 12.5);
  CHECK(r.validation_images == 136);
  CHECK(r.checkpoint == t.checkpoint);
  CHECK(r.map_hi == 30.25f);
  std::ofstream(path) << R"({"quantile": 0.99, "validation_images": 3})";
  try {
    read_threshold(path);
    FAIL("a threshold file without a value was accepted");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("'value'") != std::string::npos);
    CHECK(std::string(e.what()).find(path) != std::string::npos);
  }
  CHECK_THROWS_AS(read_threshold(dir / "missing.json"), Error);
}

// The whole shipped MobileNetV2 (nsfwjs's ImageNet weights) on real photos, against the PyTorch
// reference's numbers in tests/fixtures/mobilenet_photos.json (tools/mobilenet_photos.py).
// Needs $UNIAD_WEIGHTS_DIR (default: weights/ in the source tree) with mobilenet_v2.h5 and
// photos/, both made by scripts/fetch_mobilenet_v2.sh; without them the tests say so and pass.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "data/feature_extractor.h"
#include "data/image.h"
#include "data/mobilenet_v2.h"
#include "data/resize.h"
#include "tensor/join.h"
#include "tensor/reduce.h"
#include "test_util.h"

using namespace uniad;
using nlohmann::json;

namespace {

std::string weights_dir() {
  const char* env = std::getenv("UNIAD_WEIGHTS_DIR");
  return env && *env ? env : std::string(UNIAD_FIXTURE_DIR) + "/../../weights";
}

json fixture() {
  std::ifstream in(std::string(UNIAD_FIXTURE_DIR) + "/mobilenet_photos.json");
  REQUIRE(in);
  return json::parse(in);
}

// True when the weights and every photo exist; otherwise prints why the test is skipped.
bool have_weights_and_photos(const json& fx) {
  const std::string dir = weights_dir();
  std::vector<std::string> need = {dir + "/mobilenet_v2.h5"};
  for (const json& p : fx["photos"]) need.push_back(dir + "/photos/" + p["file"].get<std::string>());
  for (const std::string& path : need)
    if (!std::filesystem::exists(path)) {
      std::printf("[skipped] weights not found at %s (run scripts/fetch_mobilenet_v2.sh, or set UNIAD_WEIGHTS_DIR)\n",
                  path.c_str());
      return false;
    }
  return true;
}

// Every photo as the fixture made it: RGB, PIL-exact bilinear resize to 224 x 224, pixel / 255.
Tensor load_photos(const json& fx) {
  std::vector<Tensor> images;
  for (const json& p : fx["photos"]) {
    const data::Image rgb = data::resize_bilinear(
        data::to_rgb8(data::decode_image(weights_dir() + "/photos/" + p["file"].get<std::string>())), 224, 224);
    Tensor t = Tensor::empty({1, 3, 224, 224});  // [1, 3, S, S]
    float* d = t.data<float>();
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 224; ++y)
        for (int x = 0; x < 224; ++x) d[(c * 224 + y) * 224 + x] = rgb.at(y, x, c) / 255.0f;
    images.push_back(t);
  }
  return ops::concat(images, 0);  // [B, 3, S, S]
}

}  // namespace

TEST_CASE("mobilenet photos: the shipped network classifies real photos as PyTorch does (Neutral)") {
  const json fx = fixture();
  if (!have_weights_and_photos(fx)) return;
  const data::MobileNetV2Classifier net = data::MobileNetV2Classifier::load(weights_dir() + "/mobilenet_v2.h5");
  const Tensor probs = net.probabilities(load_photos(fx));  // [B, 5]
  const auto& names = data::nsfwjs_class_names();
  for (size_t i = 0; i < fx["photos"].size(); ++i) {
    const json& p = fx["photos"][i];
    std::vector<double> expected = p["probabilities"].get<std::vector<double>>();
    const Tensor ours = probs.select(0, int64_t(i));
    int top = 0;
    for (int k = 0; k < 5; ++k)
      if (ours.at({k}) > ours.at({top})) top = k;
    std::printf("[photo] %-20s ours: %s %.4f  PyTorch: %s %.4f\n", p["file"].get<std::string>().c_str(),
                names[top].c_str(), ours.at({top}), p["top"].get<std::string>().c_str(),
                *std::max_element(expected.begin(), expected.end()));
    test::check_close("probabilities " + p["file"].get<std::string>(), ours, Tensor::from_vector(expected, {5}), 1e-4);
    CHECK(names[top] == p["top"].get<std::string>());
    CHECK(names[top] == "Neutral");
  }
}

TEST_CASE("mobilenet photos: default features match PyTorch (unit scaling, blocks 0 2 5 10)") {
  const json fx = fixture();
  if (!have_weights_and_photos(fx)) return;
  data::FeatureExtractorConfig config;
  config.weights = weights_dir() + "/mobilenet_v2.h5";
  config.scaling = data::InputScaling::Unit;
  auto extractor = data::make_feature_extractor(config);
  CHECK(extractor->channels() == 168);
  const Tensor f = extractor->extract(load_photos(fx));  // [B, 168, 14, 14]
  REQUIRE(f.shape() == Shape({int64_t(fx["photos"].size()), 168, 14, 14}));
  const auto cells = fx["cells"].get<std::vector<std::vector<int64_t>>>();
  for (size_t i = 0; i < fx["photos"].size(); ++i) {
    const json& p = fx["photos"][i];
    const Tensor fi = f.select(0, int64_t(i));  // [168, 14, 14]
    test::check_close("channel means " + p["file"].get<std::string>(), ops::mean(fi, {1, 2}),
                      Tensor::from_vector(p["channel_means"].get<std::vector<double>>(), {168}), 2e-4, 1e-4);
    for (size_t c = 0; c < cells.size(); ++c)
      test::check_close("features at cell (" + std::to_string(cells[c][0]) + ", " + std::to_string(cells[c][1]) + ") " +
                            p["file"].get<std::string>(),
                        fi.select(2, cells[c][1]).select(1, cells[c][0]),
                        Tensor::from_vector(p["cell_features"][c].get<std::vector<double>>(), {168}), 2e-4, 1e-4);
  }
}

TEST_CASE("mobilenet photos: the shipped weights refuse feature blocks past block_10") {
  const json fx = fixture();
  if (!have_weights_and_photos(fx)) return;
  data::FeatureExtractorConfig config;
  config.weights = weights_dir() + "/mobilenet_v2.h5";
  config.feature_blocks = {2, 5, 12};
  CHECK(test::contains(test::error_of([&] { data::make_feature_extractor(config); }), "fine-tuned for another task"));
}

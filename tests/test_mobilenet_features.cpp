// make_feature_extractor("mobilenet_v2") on random full-size weights: input scaling, the neck
// (resize to G x G with align_corners=True, concatenation in block order), describe(), and the
// refusal of blocks past the file's last ImageNet block.
#include <nlohmann/json.hpp>

#include "data/backbone.h"
#include "data/feature_extractor.h"
#include "data/mobilenet_v2.h"
#include "data/resize.h"
#include "tensor/elementwise.h"
#include "tensor/join.h"
#include "tensor/pool.h"
#include "tensor/resize.h"
#include "test_mbconv_util.h"
#include "test_util.h"

using namespace uniad;

namespace {

struct RandomMobileNet {
  test::TempPath path{"mobilenet_random.h5"};
  RandomMobileNet() { test::write_random_backbone(data::mobilenet_v2_spec(), path.str(), 10, false, 11, 10); }
};

// The extractor's output spelled out: scale, run the net, resize every map, concatenate.
Tensor by_hand(const std::string& weights, const Tensor& images, const Tensor& scaled, const std::vector<int>& blocks,
               int64_t grid) {
  const data::MBConvNet net = data::MBConvNet::load(data::mobilenet_v2_spec(), weights, 10);
  std::vector<Tensor> maps = net.forward(scaled, blocks);
  for (Tensor& m : maps) m = ops::resize_bilinear(m, grid, grid, true);
  return ops::concat(maps, 1);
}

}  // namespace

TEST_CASE("mobilenet features: scaling, neck and channel order match the composition by hand") {
  RandomMobileNet weights;
  const Tensor images = test::randu({2, 3, 64, 64}, 0, 1, 3, DType::Float32);  // [B, 3, S, S] in [0, 1]
  data::FeatureExtractorConfig config;
  config.weights = weights.path.str();
  config.input_size = 64;

  config.scaling = data::InputScaling::Unit;
  auto fx = data::make_feature_extractor(config);
  CHECK(fx->channels() == 16 + 24 + 32 + 96);
  CHECK(fx->grid() == 4);
  const Tensor unit = fx->extract(images);
  REQUIRE(unit.shape() == Shape({2, 168, 4, 4}));
  test::check_close("features, unit scaling", unit, by_hand(config.weights, images, images, {0, 2, 5, 10}, 4), 1e-5);

  config.scaling = data::InputScaling::Auto;  // MobileNetV2's default is unit
  test::check_close("features, auto scaling", data::make_feature_extractor(config)->extract(images), unit, 0);

  config.scaling = data::InputScaling::Symmetric;
  test::check_close("features, symmetric scaling", data::make_feature_extractor(config)->extract(images),
                    by_hand(config.weights, images, ops::affine(images, 2, -1), {0, 2, 5, 10}, 4), 1e-5);

  config.scaling = data::InputScaling::ImageNet;
  const Tensor mean = Tensor::from_vector({0.485, 0.456, 0.406}, {1, 3, 1, 1});
  const Tensor std = Tensor::from_vector({0.229, 0.224, 0.225}, {1, 3, 1, 1});
  test::check_close("features, imagenet scaling", data::make_feature_extractor(config)->extract(images),
                    by_hand(config.weights, images, ops::div(ops::sub(images, mean), std), {0, 2, 5, 10}, 4), 1e-4);

  config.feature_blocks = {-1, 9};  // the stem (Conv1) and block_9_add
  config.scaling = data::InputScaling::Unit;
  fx = data::make_feature_extractor(config);
  CHECK(fx->channels() == 32 + 64);
  test::check_close("features, blocks -1 and 9", fx->extract(images), by_hand(config.weights, images, images, {-1, 9}, 4),
                    1e-5);
}

TEST_CASE("mobilenet features: area resampling and the neighbourhood mean match the composition by hand") {
  RandomMobileNet weights;
  const Tensor images = test::randu({2, 3, 64, 64}, 0, 1, 4, DType::Float32);  // [B, 3, S, S]
  data::FeatureExtractorConfig config;
  config.weights = weights.path.str();
  config.input_size = 64;
  config.scaling = data::InputScaling::Unit;
  config.resample = "area";
  const Tensor area = data::make_feature_extractor(config)->extract(images);  // [2, 168, 4, 4]
  // By hand: blocks finer than the grid are averaged over each cell; block 10 is already 4 x 4.
  const data::MBConvNet net = data::MBConvNet::load(data::mobilenet_v2_spec(), config.weights, 10);
  std::vector<Tensor> maps = net.forward(images, {0, 2, 5, 10});
  for (Tensor& m : maps) {
    const int64_t k = m.size(2) / 4;  // 8, 4, 2, 1
    if (k > 1) m = ops::avg_pool2d(m, k, k, k, k);
  }
  const Tensor expected = ops::concat(maps, 1);
  test::check_close("features, area resampling", area, expected, 1e-5);
  // A negative control: point sampling gives different features.
  config.resample = "bilinear";
  CHECK(test::max_abs_diff(data::make_feature_extractor(config)->extract(images), area) > 1e-3);

  config.resample = "area";
  config.neighbourhood = 3;
  const Tensor local = data::make_feature_extractor(config)->extract(images);
  // Token (0, 0) averages the 2 x 2 corner block; token (1, 1) the full 3 x 3 block around it.
  double largest = 0;
  for (int64_t c : {0, 100, 167}) {
    double corner = 0, inner = 0;
    for (int64_t y = 0; y < 2; ++y)
      for (int64_t x = 0; x < 2; ++x) corner += expected.at({1, c, y, x}) / 4;
    for (int64_t y = 0; y < 3; ++y)
      for (int64_t x = 0; x < 3; ++x) inner += expected.at({1, c, y, x}) / 9;
    largest = std::max({largest, std::fabs(local.at({1, c, 0, 0}) - corner), std::fabs(local.at({1, c, 1, 1}) - inner)});
  }
  MESSAGE("largest difference of the neighbourhood mean from the hand average: " << largest);
  CHECK(largest < 1e-5);
  config.neighbourhood = 2;
  CHECK_THROWS_AS(data::make_feature_extractor(config), Error);
}

TEST_CASE("mobilenet features: describe() is one line of JSON saying how the features were made") {
  RandomMobileNet weights;
  data::FeatureExtractorConfig config;
  config.weights = weights.path.str();
  const std::string text = data::make_feature_extractor(config)->describe();
  std::printf("[describe] %s\n", text.c_str());
  CHECK(text.find('\n') == std::string::npos);
  const nlohmann::json j = nlohmann::json::parse(text);
  CHECK(j["backbone"] == "mobilenet_v2");
  CHECK(j["weights"] == config.weights);
  CHECK(j["blocks"] == nlohmann::json({0, 2, 5, 10}));
  CHECK(j["layers"] == nlohmann::json({"expanded_conv_project_BN", "block_2_add", "block_5_add", "block_10_project_BN"}));
  CHECK(j["strides"] == nlohmann::json({2, 4, 8, 16}));
  CHECK(j["channels"] == nlohmann::json({16, 24, 32, 96}));
  CHECK(j["input_size"] == 224);
  CHECK(j["scaling"] == "unit");  // "auto" resolves to MobileNetV2's default
  CHECK(j["grid"] == 14);
  CHECK(j["feature_channels"] == 168);
}

TEST_CASE("mobilenet features: configuration errors") {
  RandomMobileNet weights;
  data::FeatureExtractorConfig config;
  config.weights = weights.path.str();
  config.feature_blocks = {2, 11};
  std::string e = test::error_of([&] { data::make_feature_extractor(config); });
  CHECK(test::contains(e, "feature block 11 (block_11_add) is past block_10_project_BN"));
  CHECK(test::contains(e, "fine-tuned for another task"));
  config.feature_blocks = {5, 2};
  CHECK(test::contains(test::error_of([&] { data::make_feature_extractor(config); }), "strictly increasing"));
  config.feature_blocks = {17};
  CHECK(test::contains(test::error_of([&] { data::make_feature_extractor(config); }), "feature block 17 does not exist"));
  config.feature_blocks = {};
  config.input_size = 100;
  CHECK(test::contains(test::error_of([&] { data::make_feature_extractor(config); }), "multiple of 16"));
  config.input_size = 64;
  auto fx = data::make_feature_extractor(config);
  CHECK(test::contains(test::error_of([&] { fx->extract(Tensor::zeros({1, 3, 32, 32})); }), "[B, 3, 64, 64]"));
  config.backbone = "efficientnet_b4";
  CHECK(test::contains(test::error_of([&] { data::make_feature_extractor(config); }),
                       "holds mobilenet_v2 weights, but backbone 'efficientnet_b4' was asked for"));
  config.backbone = "resnet18";
  CHECK(test::contains(test::error_of([&] { data::make_feature_extractor(config); }), "unknown backbone 'resnet18'"));
  config.backbone = "mobilenet_v2";
  config.weights = "/nonexistent/mobilenet_v2.h5";
  CHECK(test::contains(test::error_of([&] { data::make_feature_extractor(config); }), "/nonexistent/mobilenet_v2.h5"));
}

// `uniad prepare mobilenet-v2`'s conversion on a synthetic TensorFlow.js model with the full
// MobileNetV2 topology (random uint8 weights): Keras -> PyTorch layouts, dequantization, the
// frozen-block attribute, and the errors of a damaged model.
#include <fstream>

#include <nlohmann/json.hpp>

#include "data/mobilenet_v2.h"
#include "data/mobilenet_v2_convert.h"
#include "tensor/hdf5_io.h"
#include "tensor/random.h"
#include "test_util.h"

using namespace uniad;
using nlohmann::json;

namespace {

struct Manifest {
  json layers = json::array(), weights = json::array();
  std::vector<uint8_t> bytes;
  Generator gen{5};

  void layer(const std::string& name, const std::string& type, bool trainable) {
    json config = {{"name", name}, {"trainable", trainable}};
    if (type == "BatchNormalization") config["epsilon"] = 0.001;
    layers.push_back({{"class_name", type}, {"config", config}});
  }
  void tensor(const std::string& name, const Shape& shape) {
    const bool variance = name.find("moving_variance") != std::string::npos;  // must stay positive
    const double scale = 0.01 + 0.01 * gen.uniform(), min = variance ? 0.1 : -1 + gen.uniform();
    weights.push_back({{"name", name}, {"shape", shape}, {"dtype", "float32"},
                       {"quantization", {{"dtype", "uint8"}, {"scale", scale}, {"min", min}}}});
    for (int64_t i = 0; i < numel_of(shape); ++i) bytes.push_back(static_cast<uint8_t>(gen.next_u64() & 255));
  }
  void conv_bn(const data::ConvBNNames& n, const Shape& keras_kernel, bool depthwise, bool trainable) {
    layer(n.conv, depthwise ? "DepthwiseConv2D" : "Conv2D", trainable);
    tensor(n.conv + (depthwise ? "/depthwise_kernel" : "/kernel"), keras_kernel);
    layer(n.bn, "BatchNormalization", trainable);
    const Shape c{depthwise ? keras_kernel[2] : keras_kernel[3]};
    for (const char* v : {"gamma", "beta", "moving_mean", "moving_variance"}) tensor(n.bn + "/" + v, c);
  }
  // The quantized value of manifest entry `name` at flat Keras index i.
  double value(const std::string& name, int64_t i) const {
    size_t offset = 0;
    for (const json& w : weights) {
      if (w["name"] == name) return bytes[offset + i] * w["quantization"]["scale"].get<double>() +
                                    w["quantization"]["min"].get<double>();
      offset += numel_of(w["shape"].get<Shape>());
    }
    FAIL("no tensor ", name);
    return 0;
  }
  void save(const test::TempDir& dir, const json& topology_override = json()) const {
    json model = {{"modelTopology", {{"model_config", {{"config", {{"layers", layers}}}}}}},
                  {"weightsManifest", json::array({{{"paths", {"weights.bin"}}, {"weights", weights}}})}};
    if (!topology_override.is_null()) model["modelTopology"] = topology_override;
    std::ofstream(dir / "model.json") << model.dump();
    std::ofstream(dir / "weights.bin", std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
};

// Keras MobileNetV2 + nsfwjs's classifier, frozen through block_10 as the real one.
Manifest mobilenet_manifest() {
  Manifest m;
  const data::MBConvSpec s = data::mobilenet_v2_spec();
  m.conv_bn(s.stem, {3, 3, 3, s.stem_channels}, false, false);
  for (size_t i = 0; i < s.blocks.size(); ++i) {
    const data::MBConvBlockSpec& b = s.blocks[i];
    const bool trainable = i > 10;
    if (b.expand_ratio > 1) m.conv_bn(b.expand, {1, 1, b.in, b.expanded()}, false, trainable);
    m.conv_bn(b.depthwise, {3, 3, b.expanded(), 1}, true, trainable);
    m.conv_bn(b.project, {1, 1, b.expanded(), b.out}, false, trainable);
  }
  m.conv_bn(s.head, {1, 1, 320, 1280}, false, true);
  int64_t in = 1280, i = 1;
  for (int64_t out : {256, 128, 5}) {
    const std::string name = "dense_" + std::to_string(i++);
    m.layer(name, "Dense", true);
    m.tensor(name + "/kernel", {in, out});
    m.tensor(name + "/bias", {out});
    in = out;
  }
  return m;
}

std::string convert(const test::TempDir& dir) {
  const data::ConversionSummary s =
      data::convert_tfjs_mobilenet_v2(dir / "model.json", dir / "weights.bin", dir / "out.h5", "test");
  CHECK(s.tensors == 266);
  CHECK(s.last_imagenet_block == 10);
  return dir / "out.h5";
}

}  // namespace

TEST_CASE("mobilenet convert: Keras layouts become PyTorch's, values dequantized") {
  test::TempDir dir("mobilenet_convert");
  const Manifest m = mobilenet_manifest();
  m.save(dir);
  const h5::File f = h5::File::open_read(convert(dir));
  CHECK(f.attr_string("/", "format") == "uniad-backbone-v1");
  CHECK(f.attr_string("/", "architecture") == "mobilenet_v2");
  CHECK(f.attr_int("/", "last_imagenet_block") == 10);
  // Conv2D [kH, kW, I, O] (1, 2, 0, 5) -> [O, I, kH, kW] (5, 0, 1, 2)
  CHECK(f.read("Conv1/weight").shape() == Shape({32, 3, 3, 3}));
  CHECK(f.read("Conv1/weight").at({5, 0, 1, 2}) == doctest::Approx(m.value("Conv1/kernel", ((1 * 3 + 2) * 3 + 0) * 32 + 5)));
  // 1x1 Conv2D [1, 1, 144, 24] (0, 0, 100, 7) -> [24, 144, 1, 1] (7, 100, 0, 0)
  CHECK(f.read("block_2_project/weight").at({7, 100, 0, 0}) ==
        doctest::Approx(m.value("block_2_project/kernel", 100 * 24 + 7)));
  // DepthwiseConv2D [3, 3, C, 1] (2, 0, 7, 0) -> [C, 1, 3, 3] (7, 0, 2, 0)
  CHECK(f.read("block_4_depthwise/weight").shape() == Shape({192, 1, 3, 3}));
  CHECK(f.read("block_4_depthwise/weight").at({7, 0, 2, 0}) ==
        doctest::Approx(m.value("block_4_depthwise/depthwise_kernel", (2 * 3 + 0) * 192 + 7)));
  // Dense [in, out] (3, 4) -> [out, in] (4, 3)
  CHECK(f.read("dense_1/weight").shape() == Shape({256, 1280}));
  CHECK(f.read("dense_1/weight").at({4, 3}) == doctest::Approx(m.value("dense_1/kernel", 3 * 256 + 4)));
  CHECK(f.read("bn_Conv1/running_var").at({9}) == doctest::Approx(m.value("bn_Conv1/moving_variance", 9)));
  CHECK(f.read("block_16_project_BN/weight").at({300}) == doctest::Approx(m.value("block_16_project_BN/gamma", 300)));
  CHECK_FALSE(f.exists("bn_Conv1/gamma"));
}

TEST_CASE("mobilenet convert: a damaged model is refused with the file and the tensor named") {
  test::TempDir dir("mobilenet_convert_bad");
  const std::string json_path = dir / "model.json", bin = dir / "weights.bin", out = dir / "out.h5";
  auto error = [&] { return test::error_of([&] { data::convert_tfjs_mobilenet_v2(json_path, bin, out, "test"); }); };

  Manifest m = mobilenet_manifest();
  m.bytes.pop_back();
  m.save(dir);
  std::string e = error();
  CHECK(test::contains(e, "weights.bin"));
  CHECK(test::contains(e, "end inside tensor 'dense_3/bias'"));

  m = mobilenet_manifest();
  m.bytes.push_back(0);
  m.save(dir);
  CHECK(test::contains(error(), "holds 2619462 bytes but the manifest of"));

  m = mobilenet_manifest();
  m.layers[1]["config"]["epsilon"] = 1e-5;  // bn_Conv1
  m.save(dir);
  CHECK(test::contains(error(), "layer bn_Conv1 has epsilon 1e-05"));

  m = mobilenet_manifest();
  m.weights[0]["name"] = "Conv9/kernel";
  m.save(dir);
  CHECK(test::contains(error(), "tensor 'Conv9/kernel' belongs to no layer"));

  m = mobilenet_manifest();
  m.weights[0]["quantization"]["dtype"] = "int4";
  m.save(dir);
  CHECK(test::contains(error(), "unsupported quantization dtype int4"));

  m = mobilenet_manifest();
  m.save(dir, json::object());
  CHECK(test::contains(error(), "no modelTopology.model_config.config.layers"));

  // A model whose tensors convert but do not make a MobileNetV2: no file is left behind.
  m = mobilenet_manifest();
  m.weights.erase(m.weights.begin() + 5);  // expanded_conv_depthwise/depthwise_kernel [3, 3, 32, 1]
  m.bytes.erase(m.bytes.begin() + 864 + 4 * 32, m.bytes.begin() + 864 + 4 * 32 + 288);
  m.save(dir);
  CHECK(test::contains(error(), "missing tensor 'expanded_conv_depthwise/weight'"));
  CHECK_FALSE(std::filesystem::exists(out));

  std::ofstream(json_path) << "{not json";
  CHECK(test::contains(error(), "not valid JSON"));
}

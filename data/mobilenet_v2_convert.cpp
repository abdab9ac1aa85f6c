// `uniad prepare mobilenet-v2`'s work: dequantize, transpose to PyTorch layouts, write HDF5.
#include "data/mobilenet_v2_convert.h"

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/mobilenet_v2.h"
#include "tensor/error.h"
#include "tensor/hdf5_io.h"

namespace uniad::data {

namespace {

using nlohmann::json;

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  UNIAD_CHECK(in, path, ": cannot open (", std::strerror(errno), ")");
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

struct LayerInfo {
  std::string type;  // Keras class_name
  bool trainable = true;
};

// Keras layer name -> class and trainable flag; checks what our forward pass assumes.
std::map<std::string, LayerInfo> read_layers(const json& model, const std::string& path) {
  const json* layers = nullptr;
  try {
    layers = &model.at("modelTopology").at("model_config").at("config").at("layers");
  } catch (const json::exception&) {
    throw Error(cat(path, ": no modelTopology.model_config.config.layers (not a Keras layers model)"));
  }
  std::map<std::string, LayerInfo> out;
  for (const json& l : *layers) {
    const json& c = l.at("config");
    const std::string name = c.at("name"), type = l.at("class_name");
    out[name] = {type, c.value("trainable", true)};
    if (type == "BatchNormalization")
      UNIAD_CHECK(std::abs(c.at("epsilon").get<double>() - 1e-3) < 1e-9, path, ": layer ", name, " has epsilon ",
                  c.at("epsilon").get<double>(), ", the backbone format assumes 1e-3");
    if (type == "ReLU")
      UNIAD_CHECK(c.value("max_value", 0.0) == 6.0, path, ": layer ", name, " is not ReLU6");
  }
  return out;
}

// Keras [kH, kW, I, O] -> [O, I, kH, kW] (also depthwise [kH, kW, C, 1] -> [C, 1, kH, kW]).
std::vector<float> hwio_to_oihw(const std::vector<float>& v, int64_t kh, int64_t kw, int64_t I, int64_t O) {
  std::vector<float> r(v.size());
  for (int64_t h = 0; h < kh; ++h)
    for (int64_t w = 0; w < kw; ++w)
      for (int64_t i = 0; i < I; ++i)
        for (int64_t o = 0; o < O; ++o) r[((o * I + i) * kh + h) * kw + w] = v[((h * kw + w) * I + i) * O + o];
  return r;
}

struct Converted {
  std::string key;
  Shape shape;
  std::vector<float> values;
};

// One manifest entry's Keras tensor -> its key and PyTorch layout.
Converted to_pytorch(const std::string& name, const Shape& shape, std::vector<float> v,
                     const std::map<std::string, LayerInfo>& layers, const std::string& path) {
  const size_t slash = name.rfind('/');
  UNIAD_CHECK(slash != std::string::npos, path, ": tensor '", name, "' is not named layer/variable");
  const std::string layer = name.substr(0, slash), var = name.substr(slash + 1);
  const auto it = layers.find(layer);
  UNIAD_CHECK(it != layers.end(), path, ": tensor '", name, "' belongs to no layer of the topology");
  const std::string& type = it->second.type;
  auto bad = [&] { return Error(cat(path, ": tensor '", name, "' ", shape_str(shape), " of a ", type, " layer is not supported")); };
  if (type == "Conv2D" && var == "kernel" && shape.size() == 4)
    return {layer + "/weight", {shape[3], shape[2], shape[0], shape[1]},
            hwio_to_oihw(v, shape[0], shape[1], shape[2], shape[3])};
  if (type == "DepthwiseConv2D" && var == "depthwise_kernel" && shape.size() == 4) {
    if (shape[3] != 1) throw bad();  // depth multiplier 1 only
    return {layer + "/weight", {shape[2], 1, shape[0], shape[1]}, hwio_to_oihw(v, shape[0], shape[1], shape[2], 1)};
  }
  if (type == "Dense" && var == "kernel" && shape.size() == 2)
    return {layer + "/weight", {shape[1], shape[0]}, hwio_to_oihw(v, 1, 1, shape[0], shape[1])};
  if ((type == "Dense" || type == "Conv2D" || type == "DepthwiseConv2D") && var == "bias" && shape.size() == 1)
    return {layer + "/bias", shape, std::move(v)};
  if (type == "BatchNormalization" && shape.size() == 1) {
    static const std::map<std::string, std::string> bn = {
        {"gamma", "weight"}, {"beta", "bias"}, {"moving_mean", "running_mean"}, {"moving_variance", "running_var"}};
    const auto b = bn.find(var);
    if (b != bn.end()) return {layer + "/" + b->second, shape, std::move(v)};
  }
  throw bad();
}

// The last block n such that every layer of the stem and of blocks 0..n is frozen.
int last_frozen_block(const std::map<std::string, LayerInfo>& layers) {
  static const std::regex block_re("^block_([0-9]+)_");
  int first_trainable = 1 << 30;
  for (const auto& [name, info] : layers) {
    if (!info.trainable) continue;
    std::smatch m;
    if (std::regex_search(name, m, block_re)) first_trainable = std::min(first_trainable, std::stoi(m[1]));
    else if (name.rfind("expanded_conv", 0) == 0) first_trainable = 0;
    else if (name == "Conv1" || name == "bn_Conv1") first_trainable = -1;
  }
  return first_trainable == (1 << 30) ? 16 : first_trainable - 1;
}

}  // namespace

namespace {

// Reads and converts every tensor of the manifest; checks the byte count.
std::vector<Converted> read_manifest(const std::string& model_json, const std::string& weights_bin,
                                     ConversionSummary& summary) {
  json model;
  {
    std::ifstream in(model_json);
    UNIAD_CHECK(in, model_json, ": cannot open (", std::strerror(errno), ")");
    model = json::parse(in, nullptr, false);
    UNIAD_CHECK(!model.is_discarded(), model_json, ": not valid JSON");
  }
  const auto layers = read_layers(model, model_json);
  const std::vector<uint8_t> bytes = read_bytes(weights_bin);
  UNIAD_CHECK(model.contains("weightsManifest") && model["weightsManifest"].is_array(), model_json,
              ": no weightsManifest array");

  std::vector<Converted> tensors;
  size_t offset = 0;
  for (const json& group : model["weightsManifest"])
    for (const json& w : group.at("weights")) {
      const std::string name = w.at("name");
      const Shape shape = w.at("shape").get<Shape>();
      const int64_t n = numel_of(shape);
      UNIAD_CHECK(w.value("dtype", "float32") == "float32", model_json, ": tensor '", name, "' has dtype ",
                  w.value("dtype", ""), ", expected float32");
      const std::string q = w.contains("quantization") ? w["quantization"].at("dtype").get<std::string>() : "float32";
      const size_t width = q == "uint8" ? 1 : q == "uint16" ? 2 : q == "float32" ? 4 : 0;
      UNIAD_CHECK(width > 0, model_json, ": tensor '", name, "': unsupported quantization dtype ", q);
      UNIAD_CHECK(offset + n * width <= bytes.size(), weights_bin, ": ", bytes.size(), " bytes end inside tensor '",
                  name, "' ", shape_str(shape), " (bytes ", offset, " to ", offset + n * width, " by the manifest)");
      std::vector<float> v(n);
      const uint8_t* p = bytes.data() + offset;
      if (width == 4) {
        std::memcpy(v.data(), p, n * 4);
      } else {
        const double scale = w["quantization"].at("scale"), min = w["quantization"].at("min");
        for (int64_t i = 0; i < n; ++i) {
          const unsigned qv = width == 1 ? p[i] : unsigned(p[2 * i]) | unsigned(p[2 * i + 1]) << 8;  // little-endian
          v[i] = static_cast<float>(qv * scale + min);
        }
      }
      offset += n * width;
      tensors.push_back(to_pytorch(name, shape, std::move(v), layers, model_json));
      summary.values += n;
    }
  UNIAD_CHECK(offset == bytes.size(), weights_bin, ": holds ", bytes.size(), " bytes but the manifest of ", model_json,
              " describes ", offset);
  summary.tensors = static_cast<int64_t>(tensors.size());
  summary.bytes = static_cast<int64_t>(bytes.size());
  summary.last_imagenet_block = last_frozen_block(layers);
  return tensors;
}

}  // namespace

ConversionSummary convert_tfjs_mobilenet_v2(const std::string& model_json, const std::string& weights_bin,
                                            const std::string& out, const std::string& source) {
  ConversionSummary summary;
  std::vector<Converted> tensors;
  try {
    tensors = read_manifest(model_json, weights_bin, summary);
  } catch (const json::exception& e) {  // a field missing or of the wrong type
    throw Error(cat(model_json, ": ", e.what()));
  }

  const std::string tmp = out + ".tmp" + std::to_string(::getpid());
  try {
    h5::File f = h5::File::create(tmp);
    f.set_attr("/", "format", "uniad-backbone-v1");
    f.set_attr("/", "architecture", "mobilenet_v2");
    f.set_attr("/", "source", source);
    f.set_attr("/", "last_imagenet_block", int64_t{summary.last_imagenet_block});
    f.set_attr("/", "note", cat("layers after block_", summary.last_imagenet_block, " (and the head and Dense ",
                                "layers) were fine-tuned for another task; use blocks up to block_",
                                summary.last_imagenet_block, " for ImageNet features"));
    for (const Converted& t : tensors) {
      Tensor data = Tensor::empty(t.shape);
      std::memcpy(data.data<float>(), t.values.data(), t.values.size() * sizeof(float));
      f.write(t.key, data);
    }
    f.close();
    try {  // every tensor the forward pass needs is there, with its shape
      MobileNetV2Classifier::load(tmp);
    } catch (const Error& e) {
      throw Error(cat(model_json, " does not hold a complete MobileNetV2 with its classifier: ", e.what()));
    }
    std::filesystem::rename(tmp, out);
  } catch (...) {
    std::filesystem::remove(tmp);
    throw;
  }
  return summary;
}

}  // namespace uniad::data

#include "data/feature_config.h"

#include <fstream>
#include <set>
#include <sstream>

#include "data/protocol.h"
#include "tensor/config_json.h"
#include "tensor/error.h"

namespace uniad::data {

using nlohmann::json;

namespace {

const char* const kSections[] = {"data", "backbone", "features"};

// Lists every configurable field once, as (section, key, reference). Reading, writing and the
// unknown-key check all walk this one list, so a new field is added in one place.
template <typename Visit>
void visit_fields(FeatureCacheConfig& c, Visit&& visit) {
  visit("data", "kind", c.data.kind);
  visit("data", "root", c.data.root);
  visit("data", "classes", c.data.classes);
  visit("data", "split", c.data.split);
  visit("data", "input_size", c.data.input_size);
  visit("data", "eval_size", c.data.eval_size);
  visit("data", "train_per_class", c.data.train_per_class);
  visit("data", "test_per_class", c.data.test_per_class);
  visit("backbone", "name", c.backbone.name);
  visit("backbone", "weights", c.backbone.weights);
  visit("backbone", "blocks", c.backbone.blocks);
  visit("backbone", "scaling", c.backbone.scaling);
  visit("backbone", "resample", c.backbone.resample);
  visit("backbone", "neighbourhood", c.backbone.neighbourhood);
  visit("features", "batch_size", c.features.batch_size);
  visit("features", "threads", c.features.threads);
  visit("features", "out", c.features.out);
}

std::set<std::string> known_keys() {
  FeatureCacheConfig c;
  std::set<std::string> known;
  visit_fields(c, [&](const char* section, const char* key, auto&) { known.insert(std::string(section) + "." + key); });
  return known;
}

// Keys whose value is a string: "--set data.split=13579" must stay the text, not the number.
std::set<std::string> string_keys() {
  FeatureCacheConfig c;
  std::set<std::string> keys;
  visit_fields(c, [&](const char* section, const char* key, auto& value) {
    if constexpr (std::is_same_v<std::decay_t<decltype(value)>, std::string>)
      keys.insert(std::string(section) + "." + key);
  });
  return keys;
}

// "a,b,c" -> {"a", "b", "c"} (an empty string gives an empty list): lists from --set.
std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  if (text.empty()) return parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) parts.push_back(part);
  return parts;
}

template <typename T>
void read_scalar(const json& v, T& out, const std::string& where) {
  if constexpr (std::is_integral_v<T>) {
    UNIAD_CHECK(v.is_number_integer(), where, ": expected an integer, got ", v.type_name(), " ", v.dump());
    out = v.get<T>();
  } else {
    UNIAD_CHECK(v.is_string(), where, ": expected a string, got ", v.type_name(), " ", v.dump());
    out = v.get<std::string>();
  }
}

template <typename T>
void read_value(const json& v, T& out, const std::string& where) {
  read_scalar(v, out, where);
}

template <typename T>
void read_value(const json& v, std::vector<T>& out, const std::string& where) {
  json list = v;
  if (v.is_string()) {  // "1,5,9" or "bottle,cable" from a --set override
    list = json::array();
    for (const std::string& part : split_commas(v.get<std::string>())) {
      json item = json::parse(part, nullptr, /*allow_exceptions=*/false);
      list.push_back(std::is_same_v<T, std::string> || item.is_discarded() ? json(part) : item);
    }
  }
  if (v.is_number_integer()) list = json::array({v});  // one block: backbone.blocks=9
  UNIAD_CHECK(list.is_array(), where, ": expected a list, got ", v.type_name(), " ", v.dump());
  out.clear();
  for (size_t i = 0; i < list.size(); ++i) {
    T item{};
    read_scalar(list[i], item, cat(where, "[", i, "]"));
    out.push_back(item);
  }
}

}  // namespace

void FeatureCacheConfig::validate() const {
  UNIAD_CHECK(data.kind == "mvtec" || data.kind == "fashion-mnist" || data.kind == "cifar10",
              "data.kind: unknown kind '", data.kind, "' (choose mvtec, fashion-mnist or cifar10)");
  UNIAD_CHECK(!data.root.empty(), "data.root: required (the data set's folder)");
  if (data.kind == "fashion-mnist" || data.kind == "cifar10") {
    UNIAD_CHECK(data.classes.empty(), "data.classes: applies to kind mvtec only (", data.kind, " uses data.split)");
    try {
      normal_classes(data.split);
    } catch (const Error& e) {
      throw Error(cat("data.split: ", e.what()));  // the message lists the known splits
    }
  }
  UNIAD_CHECK(data.input_size >= 16 && data.input_size % 16 == 0, "data.input_size: must be a positive multiple of 16, got ",
              data.input_size);
  UNIAD_CHECK(data.eval_size >= 1 && data.eval_size <= 4096, "data.eval_size: must be 1-4096, got ", data.eval_size);
  UNIAD_CHECK(data.train_per_class >= 0, "data.train_per_class: must be 0 (all) or positive, got ", data.train_per_class);
  UNIAD_CHECK(data.test_per_class >= 0, "data.test_per_class: must be 0 (all) or positive, got ", data.test_per_class);
  UNIAD_CHECK(!backbone.name.empty(), "backbone.name: required");
  try {
    parse_input_scaling(backbone.scaling);
  } catch (const Error& e) {
    throw Error(cat("backbone.scaling: ", e.what()));
  }
  UNIAD_CHECK(backbone.resample == "bilinear" || backbone.resample == "area",
              "backbone.resample: must be bilinear or area, got '", backbone.resample, "'");
  UNIAD_CHECK(backbone.neighbourhood >= 1 && backbone.neighbourhood % 2 == 1,
              "backbone.neighbourhood: must be an odd window >= 1, got ", backbone.neighbourhood);
  UNIAD_CHECK(features.batch_size >= 1 && features.batch_size <= 4096, "features.batch_size: must be 1-4096, got ",
              features.batch_size);
  UNIAD_CHECK(features.threads >= 0, "features.threads: must be >= 0, got ", features.threads);
}

FeatureExtractorConfig FeatureCacheConfig::extractor_config() const {
  FeatureExtractorConfig e;
  e.backbone = backbone.name;
  e.weights = backbone.weights;
  e.feature_blocks = backbone.blocks;
  e.input_size = data.input_size;
  e.scaling = parse_input_scaling(backbone.scaling);
  e.resample = backbone.resample;
  e.neighbourhood = backbone.neighbourhood;
  return e;
}

json to_json(const FeatureCacheConfig& config) {
  FeatureCacheConfig copy = config;
  json j;
  visit_fields(copy, [&](const char* section, const char* key, auto& value) { j[section][key] = value; });
  return j;
}

FeatureCacheConfig feature_cache_config_from_json(const json& j, const std::string& source) {
  UNIAD_CHECK(j.is_object(), source, ": the configuration must be a JSON object, got ", j.type_name());
  const std::set<std::string> known = known_keys();
  for (const auto& [section, body] : j.items()) {
    UNIAD_CHECK(std::find(std::begin(kSections), std::end(kSections), section) != std::end(kSections), source,
                ": unknown section '", section, "' (expected data, backbone and features)");
    UNIAD_CHECK(body.is_object(), source, ": section '", section, "' must be an object");
    for (const auto& [key, _] : body.items())
      UNIAD_CHECK(known.count(section + "." + key), source, ": unknown key '", section, ".", key, "'");
  }
  FeatureCacheConfig c;
  visit_fields(c, [&](const char* section, const char* key, auto& value) {
    if (j.contains(section) && j[section].contains(key))
      read_value(j[section][key], value, source + ": " + section + "." + key);
  });
  return c;
}


FeatureCacheConfig load_feature_cache_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  UNIAD_CHECK(in.good(), path, ": cannot open the configuration file");
  json j = json::parse(in, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  UNIAD_CHECK(!j.is_discarded(), path, ": not valid JSON");
  feature_cache_config_from_json(j, path);  // the file's own keys first, so errors blame the file
  const std::set<std::string> known = known_keys(), strings = string_keys();
  for (const std::string& o : overrides) {
    const std::string key = apply_json_override(j, o, "features.batch_size=32");
    UNIAD_CHECK(known.count(key), "--set '", o, "': unknown key '", key, "'");
    const std::string section = key.substr(0, key.find('.')), name = key.substr(key.find('.') + 1);
    if (strings.count(key) && !j[section][name].is_string()) j[section][name] = o.substr(o.find('=') + 1);
  }
  FeatureCacheConfig c = feature_cache_config_from_json(j, overrides.empty() ? path : path + " with --set overrides");
  try {
    c.validate();
  } catch (const Error& e) {
    throw Error(cat(path, ": ", e.what()));
  }
  return c;
}

json feature_cache_identity(const FeatureCacheConfig& config) {
  json j = to_json(config);
  j["features"].erase("out");
  j["features"].erase("threads");
  return j;
}

Dataset open_configured_dataset(const FeatureDataConfig& data) {
  Dataset d;
  if (data.kind == "fashion-mnist") {
    d = open_fashion_mnist_dataset(data.root, data.split);
  } else if (data.kind == "cifar10") {
    d = open_cifar10_dataset(data.root, data.split);
  } else {
    UNIAD_CHECK(data.kind == "mvtec", "data.kind: unknown kind '", data.kind, "' (choose mvtec, fashion-mnist or cifar10)");
    d = open_mvtec_dataset(data.root, data.classes);
  }
  subsample_per_class(d, data.train_per_class, data.test_per_class);
  return d;
}

}  // namespace uniad::data

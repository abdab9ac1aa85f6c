#pragma once
// The configuration of a feature cache run (`uniad features --config FILE`): a JSON object with
// three sections, every key optional except data.root:
//   {"data":     {"kind": "mvtec", "root": "textures", "classes": [], "split": "01234",
//                 "input_size": 224, "eval_size": 224, "train_per_class": 0, "test_per_class": 0},
//    "backbone": {"name": "mobilenet_v2", "weights": "weights/mobilenet_v2.h5", "blocks": [],
//                 "scaling": "auto"},
//    "features": {"batch_size": 16, "threads": 0, "out": ""}}
// An unknown section or key, or a value of the wrong type, is an error naming the file (or the
// --set override) and the key. Overrides use dotted keys: "data.classes=bottle,cable",
// "backbone.scaling=unit", "features.batch_size=32". List values take JSON ("[1,5,9]") or a
// comma-separated string ("1,5,9"). docs/feature_cache.md describes every key.
//
// This mirrors uniad/config_io.h (one field list drives reading, writing and the unknown-key
// check) but lives in data/, which must not include uniad/; the override rule itself is shared
// (tensor/config_json.h).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset_source.h"
#include "data/feature_extractor.h"

namespace uniad::data {

struct FeatureDataConfig {
  std::string kind = "mvtec";        // mvtec | fashion-mnist | cifar10
  std::string root;                  // MVTec-layout folder, or the folder of the Fashion-MNIST IDX files
  std::vector<std::string> classes;  // mvtec: the classes to read (empty: all)
  std::string split = "01234";       // fashion-mnist: the unified-protocol split
  int input_size = 224;              // S: images are resized to S x S for the backbone
  int eval_size = 224;               // S': masks are stored at S' x S'
  // Subsets for quick experiments (0: everything): the first N training images of each class and
  // the first N test images of each (class, defect kind), in the source's order.
  int train_per_class = 0;
  int test_per_class = 0;
};

struct FeatureBackboneConfig {
  std::string name = "mobilenet_v2";             // FeatureExtractorConfig::backbone
  std::string weights = "weights/mobilenet_v2.h5";
  std::vector<int> blocks;                       // empty: the backbone's default feature set
  std::string scaling = "auto";                  // imagenet | unit | symmetric | auto (backbone default)
  std::string resample = "bilinear";             // bilinear (paper) | area: see FeatureExtractorConfig
  int neighbourhood = 1;                         // odd k: k x k local mean of the tokens (1: off)
};

struct FeatureRunConfig {
  int batch_size = 16;  // images per extractor call; also the rows per HDF5 chunk
  int threads = 0;      // OpenMP threads for decoding and the backbone; 0: OpenMP's default
  std::string out;      // the cache file; empty: the CLI picks .cache/features/<config name>.h5
};

struct FeatureCacheConfig {
  FeatureDataConfig data;
  FeatureBackboneConfig backbone;
  FeatureRunConfig features;

  // Throws naming the key when a value is out of range (sizes, batch, kind, split, scaling).
  void validate() const;
  // What make_feature_extractor needs.
  FeatureExtractorConfig extractor_config() const;
};

nlohmann::json to_json(const FeatureCacheConfig& config);
// `source` names the origin (a file path) in error messages.
FeatureCacheConfig feature_cache_config_from_json(const nlohmann::json& j, const std::string& source);
// Reads the file, applies "section.key=value" overrides (unknown keys are errors naming the
// override), validates.
FeatureCacheConfig load_feature_cache_config(const std::string& path, const std::vector<std::string>& overrides);

// The part of a configuration that decides a cache's contents: everything except features.out
// and features.threads. A partial cache is continued only when this matches exactly.
nlohmann::json feature_cache_identity(const FeatureCacheConfig& config);

// The data set a configuration names (open_mvtec_dataset or open_fashion_mnist_dataset).
Dataset open_configured_dataset(const FeatureDataConfig& data);

}  // namespace uniad::data

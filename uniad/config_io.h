#pragma once
// Configuration files (JSON) and command-line overrides.
//
//   {"model": {"network": "uniad", "hidden_dim": 256, ...}, "train": {"lr": 1e-4, ...},
//    "data": {"features": "...h5"}, "eval": {"image_score": "max_avg_pool"}}
// Every key is optional (defaults are the paper's); an unknown key or a value of the wrong type
// is an error that names the file and the key. Overrides use dotted keys: "train.lr=5e-4",
// "model.network=mlp", "model.mask_encoder=false".
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "uniad/config.h"
#include "uniad/train_config.h"

namespace uniad {

// Where the features come from (`uniad train` and `uniad eval`).
struct DataConfig {
  std::string features;         // the feature cache (HDF5, docs/feature_cache.md)
  std::string features_config;  // when the cache is missing, `uniad train` builds it from this
  std::string classes;          // comma-separated class names to use; empty: all (unified)
  bool standardize = false;     // per-channel z-scores from the train split (uniad/feature_norm.h)
};

// How test images are scored and reported (`uniad eval`, and tracked test metrics in training).
struct EvalConfig {
  std::string image_score = "max_avg_pool";  // max_avg_pool (MVTec) | mean (CIFAR) | std
  int64_t pool = 16;                 // max_avg_pool window, in pixels of the evaluation size
  double map_sigma = 0;              // Gaussian smoothing of the token map, in tokens (0: off, the paper)
  int64_t batch_size = 32;           // images per forward pass
  bool baseline = true;              // also score the nearest-neighbour patch baseline
  int64_t baseline_tokens = 0;       // its memory bank size limit (0: every training token)
  int64_t heatmaps_per_class = 3;    // composites written per class (defective images first)
  double threshold_quantile = 0.99;  // predict: the decision threshold is this quantile of the
                                     // validation images' scores (docs/main_job.md)
  void validate() const;             // throws naming the field
};

struct RunConfig {
  ModelConfig model;
  TrainConfig train;
  DataConfig data;
  EvalConfig eval;
};

nlohmann::json to_json(const RunConfig& config);
// `source` names the origin (a file path, "checkpoint", "--set") in error messages.
RunConfig run_config_from_json(const nlohmann::json& j, const std::string& source);
// Applies "dotted.key=value" to j; the value is parsed as JSON when it can be (numbers, true,
// false), else taken as a string.
void apply_override(nlohmann::json& j, const std::string& assignment);
// Reads a file (or the defaults when path is empty), applies overrides, validates.
RunConfig load_run_config(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace uniad

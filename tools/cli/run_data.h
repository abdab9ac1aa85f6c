#pragma once
// The feature data of a run, as `uniad train` and `uniad eval` find it: the cache named by
// data.features (built first from data.features_config when it is missing), restricted to
// data.classes, and checked against the model's input size.
#include <string>
#include <vector>

#include "data/feature_cache.h"
#include "uniad/config_io.h"
#include "uniad/feature_norm.h"

namespace uniad::cli {

// A checkpoint's configuration with `--set` overrides applied on top, validated; errors name
// the checkpoint.
RunConfig checkpoint_config(const std::string& checkpoint, const std::vector<std::string>& overrides);

// "a,b" -> {"a", "b"}; "" -> {} (all classes).
std::vector<std::string> split_classes(const std::string& list);

// The cache path of `config`, building the cache first when it is missing and
// data.features_config names how. Errors say which key to set.
std::string ensure_feature_cache(const RunConfig& config, const std::string& config_source);

// Reads one split of the run's cache (standardised when data.standardize, with statistics of
// the cache's train split of the run's classes) and checks that its [N, C, G, G] fits the model
// (feature_channels, grid_h, grid_w); a mismatch names the file, the keys and both shapes.
data::FeatureSplit read_run_split(const RunConfig& config, const std::string& path, const std::string& split);

// The data.standardize statistics of a run: fitted on the raw train split of its classes.
FeatureStandardizer run_standardizer(const RunConfig& config, const std::string& path);

}  // namespace uniad::cli

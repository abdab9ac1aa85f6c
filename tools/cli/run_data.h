#pragma once
// The feature data of a run, as `uniad train` and `uniad eval` find it: the cache named by
// data.features (built first from data.features_config when it is missing). Reading and checking
// its splits is experiments/run_data.h.
#include <string>

#include "experiments/run_data.h"

namespace uniad::cli {

// The cache path of `config`, building the cache first when it is missing and
// data.features_config names how. Errors say which key to set.
std::string ensure_feature_cache(const RunConfig& config, const std::string& config_source);

}  // namespace uniad::cli

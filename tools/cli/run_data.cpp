#include "tools/cli/run_data.h"

#include <filesystem>

#include "tensor/error.h"
#include "tools/cli/commands.h"

namespace uniad::cli {

std::string ensure_feature_cache(const RunConfig& config, const std::string& config_source) {
  const DataConfig& d = config.data;
  UNIAD_CHECK(!d.features.empty(), config_source, ": data.features is not set (the feature cache to train on; "
              "make one with `uniad features`)");
  if (std::filesystem::exists(d.features)) return d.features;
  UNIAD_CHECK(!d.features_config.empty(), d.features, ": the feature cache does not exist and ", config_source,
              " sets no data.features_config to build it from");
  std::fprintf(stderr, "feature cache %s is missing: building it from %s\n", d.features.c_str(),
               d.features_config.c_str());
  FeaturesOptions options;
  options.config = d.features_config;
  options.out = d.features;
  return run_features(options);
}

}  // namespace uniad::cli

#include "tools/cli/run_data.h"

#include <filesystem>
#include <sstream>

#include "tensor/error.h"
#include "tools/cli/commands.h"
#include "uniad/checkpoint.h"
#include "uniad/feature_norm.h"

namespace uniad::cli {

RunConfig checkpoint_config(const std::string& checkpoint, const std::vector<std::string>& overrides) {
  nlohmann::json j = to_json(read_checkpoint_info(checkpoint).config);
  for (const std::string& s : overrides) apply_override(j, s);
  RunConfig c = run_config_from_json(j, checkpoint);
  c.model.validate();
  c.train.validate();
  c.eval.validate();
  return c;
}

std::vector<std::string> split_classes(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  std::string name;
  while (std::getline(in, name, ','))
    if (!name.empty()) out.push_back(name);
  return out;
}

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

FeatureStandardizer run_standardizer(const RunConfig& config, const std::string& path) {
  return FeatureStandardizer::fit(data::read_feature_split(path, "train", split_classes(config.data.classes)).features);
}

data::FeatureSplit read_run_split(const RunConfig& config, const std::string& path, const std::string& split) {
  data::FeatureSplit s = data::read_feature_split(path, split, split_classes(config.data.classes));
  const ModelConfig& m = config.model;
  const Shape& shape = s.features.shape();  // [N, C, G, G]
  UNIAD_CHECK(shape[1] == m.feature_channels && shape[2] == m.grid_h && shape[3] == m.grid_w, path, ": ", split,
              " features are ", shape_str(shape), " but the model expects [N, ", m.feature_channels, ", ", m.grid_h,
              ", ", m.grid_w, "] (model.feature_channels, model.grid_h, model.grid_w)");
  UNIAD_CHECK(shape[0] > 0, path, ": the ", split, " split has no samples for data.classes='", config.data.classes, "'");
  if (config.data.standardize) {
    const FeatureStandardizer z =
        split == "train" ? FeatureStandardizer::fit(s.features) : run_standardizer(config, path);
    s.features = z.apply(s.features);
  }
  return s;
}

}  // namespace uniad::cli

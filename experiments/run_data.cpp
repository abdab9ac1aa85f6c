#include "experiments/run_data.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <sstream>

#include "tensor/error.h"
#include "uniad/checkpoint.h"
#include "uniad/evaluate.h"
#include "uniad/trainer.h"

namespace uniad {

RunConfig checkpoint_config(const std::string& checkpoint, const std::vector<std::string>& overrides) {
  nlohmann::json j = to_json(read_checkpoint_info(checkpoint).config);
  // Where a run computed is no property of the run: a checkpoint written on a GPU is read on the
  // CPU unless the command asks for a device (--device, or --set train.device=...).
  j["train"]["device"] = TrainConfig{}.device;
  j["train"]["matmul_precision"] = TrainConfig{}.matmul_precision;
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

ShortcutProbe make_run_probe(const RunConfig& config, const std::string& cache, const data::FeatureSplit& train,
                             const data::FeatureSplit& test) {
  const Split split = validation_split(train.features.size(0), config.train.val_fraction, config.train.seed);
  const Tensor val = split.val.empty() ? Tensor() : take_rows(train.features, split.val);  // [Nv, C, G, G]
  Tensor others;
  const std::vector<std::string> mine = split_classes(config.data.classes);
  if (!mine.empty()) {
    std::vector<std::string> rest;
    for (const std::string& name : data::read_feature_cache_info(cache).class_names)
      if (std::find(mine.begin(), mine.end(), name) == mine.end()) rest.push_back(name);
    if (!rest.empty()) {
      others = data::read_feature_split(cache, "train", rest).features;  // [No, C, G, G]
      if (config.data.standardize) others = run_standardizer(config, cache).apply(others);
    }
  }
  const ShortcutProbe probe = make_shortcut_probe(train.features, val, test, others, {config.train.seed, 256});
  std::fprintf(stderr, "shortcut lab: %lld normal validation, %lld test, %lld Gaussian, %lld shuffled, %lld other-class "
               "images\n", (long long)probe.normal_val.size(0), (long long)probe.test.size(0),
               (long long)probe.ood_gaussian.size(0), (long long)probe.ood_shuffled.size(0),
               (long long)(probe.ood_classes.defined() ? probe.ood_classes.size(0) : 0));
  for (const std::string& note : probe.notes) std::fprintf(stderr, "shortcut lab: %s\n", note.c_str());
  return probe;
}

void install_epoch_diagnostics(Trainer& trainer, const RunConfig& config, const std::string& cache,
                               const data::FeatureSplit& train) {
  const int64_t every = config.train.track_test_every, shortcut_every = config.train.shortcut_every;
  if (every <= 0 && shortcut_every <= 0) return;
  auto test = std::make_shared<data::FeatureSplit>(read_run_split(config, cache, "test"));
  auto probe = std::make_shared<ShortcutProbe>();
  if (shortcut_every > 0) *probe = make_run_probe(config, cache, train, *test);
  trainer.on_epoch = [&trainer, config, test, probe, every, shortcut_every](int64_t epoch) {
    const bool last = epoch == trainer.config().train.epochs;
    if (every > 0 && (epoch % every == 0 || last)) {
      const ScoredSplit scored =
          score_features(test->features, reconstruction_map(trainer.model()), test->mask_size, config.eval);
      const nlohmann::json mean = to_json(evaluate_split(*test, scored))["mean"];
      trainer.log({{"epoch", epoch}, {"test", mean}});
    }
    if (shortcut_every > 0 && (epoch % shortcut_every == 0 || last))
      trainer.log({{"epoch", epoch},
                   {"shortcut", shortcut_epoch(*probe, *test, reconstruction_map(trainer.model()), config.eval)}});
  };
}

}  // namespace uniad

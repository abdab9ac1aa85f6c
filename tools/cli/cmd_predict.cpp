// uniad predict --checkpoint FILE [--threshold X] [--out DIR] IMAGE...
//
// Scores single images without labels: the backbone the checkpoint's feature cache was made
// with, then the model, then the same maps and image score as `uniad eval`. Each image gets a
// decision against the threshold that `uniad eval` chose on normal validation images
// (<checkpoint folder>/threshold.json, or --threshold) and a heat-map picture.
#include <omp.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "data/dataset_source.h"
#include "data/feature_config.h"
#include "tensor/error.h"
#include "tools/cli/commands.h"
#include "experiments/run_data.h"
#include "tools/cli/device_options.h"
#include "tools/cli/run_data.h"
#include "uniad/checkpoint.h"
#include "uniad/evaluate.h"
#include "uniad/heatmap.h"
#include "uniad/threshold.h"

namespace uniad::cli {

namespace {

namespace fs = std::filesystem;

struct PredictOptions {
  std::string checkpoint, out, threshold_file;
  double threshold = NAN;
  std::vector<std::string> images;
  std::vector<std::string> overrides;  // --device, --precision
};

// How the model's features were made: the cache's own record, else data.features_config.
data::FeatureCacheConfig feature_config_of(const RunConfig& config, const std::string& checkpoint) {
  if (!config.data.features.empty() && fs::exists(config.data.features)) {
    const data::FeatureCacheInfo info = data::read_feature_cache_info(config.data.features);
    return data::feature_cache_config_from_json(info.config, config.data.features);
  }
  UNIAD_CHECK(!config.data.features_config.empty(), checkpoint, ": its feature cache '", config.data.features,
              "' is gone and it names no data.features_config, so the backbone that made its features is unknown");
  return data::load_feature_cache_config(config.data.features_config, {});
}

Threshold resolve_threshold(const PredictOptions& o) {
  if (!std::isnan(o.threshold)) {
    Threshold t;
    t.value = o.threshold;
    return t;
  }
  const std::string path = o.threshold_file.empty()
                               ? (fs::path(o.checkpoint).parent_path() / "threshold.json").string()
                               : o.threshold_file;
  UNIAD_CHECK(fs::exists(path), path, " does not exist: run `uniad eval --checkpoint ", o.checkpoint,
              "` first (it chooses the threshold on validation images), or pass --threshold");
  return read_threshold(path);
}

void run_predict(const PredictOptions& o) {
  const RunConfig config = checkpoint_config(o.checkpoint, o.overrides);
  const data::FeatureCacheConfig features = feature_config_of(config, o.checkpoint);
  const Threshold threshold = resolve_threshold(o);
  std::unique_ptr<data::FeatureExtractor> extractor = data::make_feature_extractor(features.extractor_config());
  Generator gen(config.train.seed);
  ReconstructionModel model(config.model, gen);
  load_checkpoint(o.checkpoint, model, nullptr);
  place_model(model, config.train);
  model.eval();
  UNIAD_CHECK(extractor->channels() == config.model.feature_channels, o.checkpoint, ": the model expects ",
              config.model.feature_channels, " feature channels but the backbone gives ", extractor->channels());

  std::optional<FeatureStandardizer> standardizer;
  if (config.data.standardize) {
    UNIAD_CHECK(fs::exists(config.data.features), o.checkpoint, ": data.standardize needs the statistics of the "
                "feature cache's train split, but '", config.data.features, "' does not exist (rebuild it with "
                "`uniad features`)");
    standardizer = run_standardizer(config, config.data.features);
  }

  const std::string out = o.out.empty() ? "predictions" : o.out;
  fs::create_directories(out);
  const int size = features.data.eval_size;
  const bool fixed_scale = threshold.map_hi > threshold.map_lo;
  nlohmann::json results = nlohmann::json::array();
  std::set<std::string> used_names;
  std::printf("%-40s %10s  %s\n", "image", "score", "decision");
  for (const std::string& path : o.images) {
    data::DataSample sample;
    sample.image_path = path;
    const Tensor image = data::load_sample_image(sample, features.data.input_size);  // [3, S, S]
    const Tensor batch = image.unsqueeze(0);                                         // [1, 3, S, S]
    Tensor feats = extractor->extract(batch);                                        // [1, C, G, G]
    if (standardizer) feats = standardizer->apply(feats);
    const ScoredSplit scored = score_features(feats, reconstruction_map(model), size, config.eval);
    const double score = scored.image_scores[0];
    const bool anomalous = score >= threshold.value;
    const HeatmapScale scale = fixed_scale ? HeatmapScale{threshold.map_lo, threshold.map_hi}
                                           : heatmap_scale(scored.maps);
    const data::Image composite =
        heatmap_composite(load_rgb_resized(path, size), {}, scored.maps, size, scale.lo, scale.hi);
    // Images from different folders often share a file name (000.png): number repeats.
    std::string name = fs::path(path).stem().string();
    for (int copy = 2; used_names.count(name); ++copy) name = fs::path(path).stem().string() + "_" + std::to_string(copy);
    used_names.insert(name);
    const std::string picture = (fs::path(out) / (name + "_heatmap.png")).string();
    data::write_png(picture, composite);
    std::printf("%-40s %10.4f  %s\n", path.c_str(), score, anomalous ? "ANOMALOUS" : "normal");
    results.push_back({{"image", path}, {"score", score}, {"anomalous", anomalous}, {"heatmap", picture}});
  }
  nlohmann::json summary = {{"checkpoint", o.checkpoint}, {"threshold", to_json(threshold)}, {"images", results}};
  std::ofstream(out + "/predictions.json") << summary.dump(2) << '\n';
  std::printf("threshold %.4f (%s); heat maps and predictions.json in %s/\n", threshold.value,
              std::isnan(o.threshold) ? "chosen on normal validation images by uniad eval" : "--threshold",
              out.c_str());
}

}  // namespace

void add_predict(CLI::App& parent) {
  auto opts = std::make_shared<PredictOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "predict",
      "Score single images (no labels needed): anomaly score, decision against the threshold chosen by "
      "`uniad eval` on normal validation images, and a heat-map picture per image (image | image | overlay).");
  cmd->add_option("--checkpoint", opts->checkpoint, "A checkpoint written by `uniad train`")->required();
  cmd->add_option("--threshold", opts->threshold, "Decision threshold on the image score (default: "
                                                  "<checkpoint folder>/threshold.json from `uniad eval`)");
  cmd->add_option("--threshold-file", opts->threshold_file, "A threshold.json other than the checkpoint's");
  cmd->add_option("--out", opts->out, "Folder for the heat maps and predictions.json (default: predictions)");
  add_device_options(cmd, opts->overrides);
  cmd->add_option("images", opts->images, "Image files (PNG, JPEG, BMP)")->required();
  cmd->callback([opts] { run_predict(*opts); });
}

}  // namespace uniad::cli

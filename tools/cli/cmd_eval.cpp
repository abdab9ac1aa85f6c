// uniad eval --checkpoint FILE [--set section.key=value ...] [--out DIR] [--no-baseline]
//
// Scores the test split of the run's feature cache with the checkpoint's model (and the
// nearest-neighbour patch baseline beside it), measures every metric per class and per defect
// kind, chooses the decision threshold on the normal validation images, and writes
//   DIR/metrics.json, DIR/metrics.md, DIR/heatmaps/*.png      (DIR: <checkpoint folder>/eval)
//   <checkpoint folder>/threshold.json                       (used by `uniad predict`)
// Layouts: docs/main_job.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "tensor/error.h"
#include "tools/cli/commands.h"
#include "tools/cli/device_options.h"
#include "tools/cli/eval_outputs.h"
#include "tools/cli/progress.h"
#include "tools/cli/run_data.h"
#include "uniad/checkpoint.h"
#include "uniad/evaluate.h"
#include "uniad/heatmap.h"
#include "uniad/nearest_neighbour.h"
#include "uniad/threshold.h"
#include "uniad/trainer.h"

namespace uniad::cli {

namespace {

struct EvalOptions {
  std::string checkpoint, out;
  std::vector<std::string> overrides;
  bool no_baseline = false;
};

ScoredSplit score_with_progress(const std::string& label, const Tensor& features, const MapFunction& map,
                                int64_t size, const EvalConfig& eval) {
  ProgressBar bar(label, "img");
  ScoredSplit s = score_features(features, map, size, eval, bar.callback());
  bar.finish();
  return s;
}

// The threshold from the normal validation images: the same split the trainer held out.
Threshold choose_threshold(const RunConfig& config, const data::FeatureSplit& train, const MapFunction& map, int64_t size,
                           const std::string& checkpoint) {
  const Split split = validation_split(train.features.size(0), config.train.val_fraction, config.train.seed);
  UNIAD_CHECK(!split.val.empty(), checkpoint, ": train.val_fraction=", config.train.val_fraction,
              " leaves no validation images to choose the threshold on");
  const Tensor val = take_rows(train.features, split.val);  // [N_val, C, G, G]
  const ScoredSplit scored = score_features(val, map, size, config.eval);
  Threshold t;
  t.quantile = config.eval.threshold_quantile;
  t.value = quantile(scored.image_scores, t.quantile);
  t.validation_images = static_cast<int64_t>(split.val.size());
  t.checkpoint = checkpoint;
  return t;
}

void run_eval(const EvalOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  const RunConfig config = checkpoint_config(o.checkpoint, o.overrides);
  const std::string run_dir = std::filesystem::path(o.checkpoint).parent_path().string();
  const std::string out = o.out.empty() ? (run_dir.empty() ? std::string("eval") : run_dir + "/eval") : o.out;
  const std::string cache = ensure_feature_cache(config, o.checkpoint);
  const data::FeatureSplit test = read_run_split(config, cache, "test");
  const data::FeatureSplit train = read_run_split(config, cache, "train");

  Generator gen(config.train.seed);
  ReconstructionModel model(config.model, gen);
  load_checkpoint(o.checkpoint, model, nullptr);
  place_model(model, config.train);
  model.eval();
  const MapFunction uniad_map = reconstruction_map(model);

  EvalResults results;
  results.checkpoint = o.checkpoint;
  results.features = cache;
  results.eval = config.eval;
  results.size = test.mask_size;
  results.methods.push_back({"uniad", score_with_progress("uniad", test.features, uniad_map, test.mask_size,
                                                          config.eval), {}, {}});
  if (config.eval.baseline && !o.no_baseline) {
    NearestNeighbourOptions nn_options;
    nn_options.max_tokens = config.eval.baseline_tokens;
    nn_options.seed = config.train.seed;
    const NearestNeighbourBaseline baseline(train.features, nn_options);
    std::fprintf(stderr, "baseline: nearest neighbour among %lld training tokens\n", (long long)baseline.bank_size());
    const MapFunction nn_map = [&baseline](const Tensor& f) { return baseline.anomaly_map(f); };
    results.methods.push_back({"nearest_neighbour", score_with_progress("baseline", test.features, nn_map,
                                                                        test.mask_size, config.eval), {}, {}});
  }
  std::fprintf(stderr, "measuring metrics per class and per defect kind...\n");
  const auto metrics_start = std::chrono::steady_clock::now();
  for (EvalMethod& m : results.methods) {
    m.per_class = evaluate_split(test, m.scored);
    m.per_defect = evaluate_per_defect(test, m.scored);
  }
  std::fprintf(stderr, "metrics took %.1f s\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - metrics_start).count());
  results.threshold = choose_threshold(config, train, uniad_map, test.mask_size, o.checkpoint);
  const HeatmapScale scale = heatmap_scale(results.methods.front().scored.maps);
  results.threshold.map_lo = scale.lo;
  results.threshold.map_hi = scale.hi;
  if (!run_dir.empty() || o.out.empty()) write_threshold((run_dir.empty() ? "." : run_dir) + "/threshold.json",
                                                         results.threshold);
  results.heatmaps = write_heatmaps(test, results.methods.front().scored, config.eval.heatmaps_per_class, out);
  results.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  write_eval_outputs(results, test, out);
  print_eval_summary(results, test, out);
}

}  // namespace

void add_eval(CLI::App& parent) {
  auto opts = std::make_shared<EvalOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "eval",
      "Evaluate a checkpoint on the test split of its feature cache: image AUROC / AP / F1-max, pixel AUROC / AP "
      "/ F1-max and AUPRO per class, per defect kind and as the mean over classes, beside the nearest-neighbour "
      "patch baseline; heat-map composites; the decision threshold for `uniad predict`.");
  cmd->add_option("--checkpoint", opts->checkpoint, "A checkpoint written by `uniad train` (best.h5 or last.h5)")
      ->required();
  add_device_options(cmd, opts->overrides);
  cmd->add_option("--set", opts->overrides, "Override a key of the checkpoint's configuration, e.g. "
                                            "eval.pool=32 or data.features=other.h5 (repeatable)");
  cmd->add_option("--out", opts->out, "Output folder (default: <checkpoint folder>/eval)");
  cmd->add_flag("--no-baseline", opts->no_baseline, "Skip the nearest-neighbour baseline (eval.baseline=false)");
  cmd->callback([opts] { run_eval(*opts); });
}

}  // namespace uniad::cli

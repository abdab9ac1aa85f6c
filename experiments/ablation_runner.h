#pragma once
// Running an ablation suite: the plan (one cell per dataset x variant x seed, each with its full
// run configuration) and one cell's training and evaluation. A cell writes its run folder
// OUT/runs/<dataset>/<variant>/seed<k>/ (config.json, log.jsonl, last.h5, result.json; one
// subfolder per class for per-class variants); a cell whose result.json exists is done, so an
// interrupted suite continues where it stopped.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/ablation_benchmarks.h"
#include "experiments/ablation_suites.h"
#include "uniad/config_io.h"
#include "uniad/trainer.h"

namespace uniad {

struct AblationCell {
  const AblationDataset* dataset = nullptr;
  const AblationVariant* variant = nullptr;
  uint64_t seed = 0;
  RunConfig config;     // the benchmark's file + preset + dataset + suite + variant + --set, seed set
  std::string run_dir;  // OUT/runs/<dataset>/<variant>/seed<k>
};

struct AblationPlan {
  const AblationSuite* suite = nullptr;
  const AblationBenchmark* benchmark = nullptr;
  const AblationPreset* preset = nullptr;
  std::string out_dir;
  std::vector<AblationCell> cells;  // dataset-major, then variant, then seed
};

struct AblationFilter {
  std::vector<uint64_t> seeds;        // empty: the preset's
  std::vector<std::string> variants;  // empty: all of the suite's
  std::vector<std::string> datasets;  // empty: all of the preset's
  std::vector<std::string> overrides; // --set, applied last to every cell
};

// Builds every cell's configuration (loading and validating it), so a bad override fails before
// any training. Errors name the cell and the key.
AblationPlan plan_ablation(const AblationSuite& suite, const AblationBenchmark& benchmark, const AblationPreset& preset,
                           const std::string& out_dir, const AblationFilter& filter);

struct AblationResult {
  std::string dataset, variant;
  uint64_t seed = 0;
  double image_auroc = NAN, pixel_auroc = NAN, pixel_aupro = NAN;  // means over classes; NaN: undefined
  int64_t models = 1;       // 1, or the number of classes for a per-class variant
  int64_t epochs = 0;       // per model
  double train_seconds = 0; // all models, training only (the lab's measurements included)
  double last_loss = NAN;   // the last training step's (mean over models)
};

nlohmann::json to_json(const AblationResult& r);
AblationResult ablation_result_from_json(const nlohmann::json& j, const std::string& source);
// The cell's result.json when it exists (errors name a damaged file).
std::optional<AblationResult> read_ablation_result(const std::string& run_dir);

// A finished cell elsewhere under `root` (another suite's folder of the same benchmark) that
// trained exactly this configuration: same per-class choice and every key equal except the
// diagnostics (train.shortcut_every, train.track_test_every), which never change what is
// trained. The paper's configuration is the baseline of every suite; it is trained once.
std::optional<std::string> find_equivalent_run(const AblationCell& cell, const std::string& root);
// Writes the cell's result.json from the equivalent run's, naming it in "reused_from".
AblationResult reuse_ablation_result(const AblationCell& cell, const std::string& from_run_dir);

// Trains the cell's model(s) on the cache's train split from scratch, evaluates the final
// weights on its test split, writes run_dir/result.json last. `on_step` (may be empty) sees
// every optimiser step; `model_index` counts the models of a per-class variant.
using AblationStepFn = std::function<void(const StepReport& step, int64_t model_index, int64_t models)>;
AblationResult run_ablation_cell(const AblationCell& cell, const AblationStepFn& on_step = {});

}  // namespace uniad

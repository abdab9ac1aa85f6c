// uniad train [--config FILE] [--set section.key=value ...] [--out RUN_DIR] [--minutes M]
//             [--resume CHECKPOINT] [--force]
//
// Unified multi-class training on a feature cache (built first when missing): the trainer
// (uniad/trainer.h) does the work; this file finds the data, draws the progress bar, optionally
// tracks test metrics for learning curves and the identical-shortcut lab
// (train.shortcut_every, uniad/shortcut_lab.h), and prints the summary.
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tensor/error.h"
#include "tools/cli/commands.h"
#include "tools/cli/device_options.h"
#include "tools/cli/progress.h"
#include "tools/cli/run_data.h"
#include "uniad/checkpoint.h"
#include "uniad/evaluate.h"
#include "uniad/shortcut_lab.h"
#include "uniad/trainer.h"

namespace uniad::cli {

namespace {

struct TrainOptions {
  std::string config, out, resume;
  std::vector<std::string> overrides;
  double minutes = -1;
  bool force = false;
};

// The configuration: the checkpoint's when resuming, else the file's; --set and --minutes on top.
RunConfig resolve_config(const TrainOptions& o, std::string& source) {
  std::vector<std::string> overrides = o.overrides;
  if (o.minutes >= 0) overrides.push_back("train.max_minutes=" + std::to_string(o.minutes));
  if (o.resume.empty()) {
    source = o.config.empty() ? "defaults" : o.config;
    return load_run_config(o.config, overrides);
  }
  UNIAD_CHECK(o.config.empty(), "--resume takes the configuration from the checkpoint; use --set to change it, "
              "not --config");
  source = o.resume;
  return checkpoint_config(o.resume, overrides);
}

std::string default_run_dir(const TrainOptions& o) {
  if (!o.resume.empty()) return std::filesystem::path(o.resume).parent_path().string();
  const std::string stem = o.config.empty() ? "default" : std::filesystem::path(o.config).stem().string();
  return "runs/" + stem;
}

// A fresh run refuses to mix its log with an earlier run's unless --force clears them.
void prepare_run_dir(const std::string& dir, const TrainOptions& o) {
  namespace fs = std::filesystem;
  if (!o.resume.empty()) return;
  const bool used = fs::exists(dir + "/log.jsonl") || fs::exists(dir + "/last.h5");
  if (!used) return;
  UNIAD_CHECK(o.force, dir, " already holds a run (log.jsonl, last.h5); continue it with --resume ", dir,
              "/last.h5, or start over with --force");
  for (const char* name : {"log.jsonl", "last.h5", "best.h5", "threshold.json"}) fs::remove(dir + "/" + name);
}

void run_train(const TrainOptions& o) {
  std::string source;
  const RunConfig config = resolve_config(o, source);
  if (config.train.threads > 0) omp_set_num_threads(static_cast<int>(config.train.threads));
  const std::string run_dir = o.out.empty() ? default_run_dir(o) : o.out;
  const std::string cache = ensure_feature_cache(config, source);
  const data::FeatureSplit train = read_run_split(config, cache, "train");
  prepare_run_dir(run_dir, o);
  std::fprintf(stderr, "data: %s: %lld normal training images of %zu classes, features %s\n", cache.c_str(),
               (long long)train.features.size(0), split_classes(config.data.classes).empty()
                   ? train.class_names.size() : split_classes(config.data.classes).size(),
               shape_str(train.features.shape()).c_str());

  Trainer trainer(config, run_dir);
  std::fprintf(stderr, "model: %s, %lld parameters; %d threads; device %s\n", network_kind_name(config.model.network),
               (long long)trainer.model().num_parameters(), omp_get_max_threads(),
               trainer.model().device().is_cpu() ? "cpu"
                                                 : (trainer.model().device().str() + " (" + cuda_describe() + ", " +
                                                    config.train.matmul_precision + " matrix products)").c_str());

  ProgressBar bar("train", "step");
  trainer.on_step = [&](const StepReport& r) {
    char detail[96];
    std::snprintf(detail, sizeof detail, "epoch %lld/%lld  loss %.4f  lr %.1e", (long long)r.epoch + 1,
                  (long long)r.epochs, r.loss, r.lr);
    bar.set_detail(detail);
    bar.update(r.step, r.epochs * r.steps_per_epoch);
  };

  install_epoch_diagnostics(trainer, config, cache, train);

  const TrainResult r = trainer.fit(train.features, o.resume);
  bar.finish();
  const int64_t planned = trainer.config().train.epochs;
  std::printf("trained %s for %lld epochs (%lld steps)%s\n", network_kind_name(config.model.network),
              (long long)r.epochs_completed, (long long)r.steps,
              r.stopped_by_time ? ", stopped by the time budget" : "");
  if (r.budget_epochs > 0)
    std::printf("  the %.1f-minute budget fitted %lld epochs\n", config.train.max_minutes, (long long)planned);
  std::printf("  last training loss %.5f, best validation loss %.5f\n", r.last_loss, r.best_val_loss);
  std::printf("  run directory %s: config.json, log.jsonl, best.h5, last.h5\n", run_dir.c_str());
  std::printf("next: uniad eval --checkpoint %s/best.h5\n", run_dir.c_str());
}

}  // namespace

void add_train(CLI::App& parent) {
  auto opts = std::make_shared<TrainOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "train",
      "Train the reconstruction model on the normal images of all classes at once (unified setting) from a "
      "feature cache, holding out normal images for validation; writes RUN_DIR/{config.json, log.jsonl, best.h5, "
      "last.h5}.");
  cmd->add_option("--config", opts->config, "JSON run configuration (sections model, train, data, eval; "
                                            "e.g. configs/textures.json); omitted: the paper's defaults");
  add_device_options(cmd, opts->overrides);
  cmd->add_option("--set", opts->overrides, "Override a key: section.key=value, e.g. train.lr=5e-4 (repeatable)");
  cmd->add_option("--out", opts->out, "Run directory (default: runs/<config name>, or the resumed checkpoint's folder)");
  cmd->add_option("--minutes", opts->minutes, "Time budget for training (train.max_minutes); with the cosine "
                                              "schedule the epochs are fitted to it");
  cmd->add_option("--resume", opts->resume, "Continue from a checkpoint (its configuration, weights, optimiser "
                                            "and generator states)");
  cmd->add_flag("--force", opts->force, "Start over in a run directory that already holds a run");
  cmd->callback([opts] { run_train(*opts); });
}

}  // namespace uniad::cli

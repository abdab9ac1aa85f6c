#pragma once
// Unified training on cached backbone features.
//
// The trainer holds out a validation split of the NORMAL training features (never the test
// set) for checkpoint selection, shuffles with a seeded generator, and per step runs: jitter ->
// forward -> MSE against the clean features -> backward -> global-norm clipping -> AdamW; the
// schedule sets the learning rate per epoch. It writes to its run directory:
//   config.json    the resolved configuration
//   log.jsonl      one JSON object per step {"step","epoch","loss","lr","seconds"} and per
//                  validation {"epoch","val_loss",...}
//   last.h5        after every epoch; best.h5 whenever the validation loss improves
// Time budget (train.max_minutes): with the cosine schedule the number of epochs is fitted to the
// budget after the first epoch (epochs = budget / measured epoch time, never more than
// configured), so the learning rate still anneals to min_lr by the end; the fitted count is
// written to config.json and the checkpoints. Other schedules simply stop when time is up.
// A non-finite loss stops training with an error and leaves the checkpoints untouched.
// Runs are deterministic for a seed and thread count, and resume continues exactly.
#include <functional>

#include <nlohmann/json.hpp>
#include <memory>
#include <string>

#include "nn/optim.h"
#include "nn/schedule.h"
#include "uniad/checkpoint.h"
#include "uniad/model.h"

namespace uniad {

struct StepReport {
  int64_t step, epoch, epochs, steps_per_epoch;
  double loss, lr, seconds;  // seconds since this fit() started
};

struct TrainResult {
  int64_t epochs_completed = 0;
  int64_t steps = 0;
  double last_loss = 0;
  double best_val_loss = INFINITY;
  bool stopped_by_time = false;
  int64_t budget_epochs = 0;  // epochs fitted to the time budget (0: not fitted)
};

class Trainer {
 public:
  // Builds the model and optimiser from the configuration; creates run_dir if needed.
  Trainer(const RunConfig& config, const std::string& run_dir);

  // features [N, C, H, W] float32: the normal training images' features. When `resume_from`
  // names a checkpoint, its weights, optimiser state, progress and generator states are loaded
  // first and training continues to config.train.epochs.
  TrainResult fit(const Tensor& features, const std::string& resume_from = "");

  // Called after every optimiser step (progress bars).
  std::function<void(const StepReport&)> on_step;
  // Called after each epoch's validation and checkpoints with the number of epochs completed
  // (diagnostics such as tracked test metrics). The model is in eval mode during the call and
  // back in training mode afterwards; it must not draw from the training generators.
  std::function<void(int64_t epochs_completed)> on_epoch;

  // Appends one JSON object as a line of RUN_DIR/log.jsonl (no-op without a run directory).
  void log(const nlohmann::json& line) const;

  ReconstructionModel& model() { return *model_; }
  const RunConfig& config() const { return config_; }
  // Mean MSE of the model in eval mode over features [N, C, H, W].
  double evaluate_loss(const Tensor& features, int64_t batch_size);

 private:
  void write_config() const;
  // Shrinks config.train.epochs to what fits train.max_minutes; returns the new count.
  int64_t fit_epochs_to_budget(double seconds_per_epoch, int64_t epochs_done);

  RunConfig config_;
  std::string run_dir_;
  Generator model_gen_;  // initial weights, then dropout and jitter
  Generator data_gen_;   // shuffling
  std::unique_ptr<ReconstructionModel> model_;
  std::unique_ptr<nn::AdamW> optimizer_;
  std::unique_ptr<nn::LrSchedule> schedule_;
};

// The split used by the trainer: a seeded permutation of [0, n); the first round(n * fraction)
// indices (at least 1 when fraction > 0 and n > 1) validate, the rest train.
struct Split {
  std::vector<int64_t> train, val;
};
Split validation_split(int64_t n, double fraction, uint64_t seed);

// Rows `indices` of features [N, ...] -> [len(indices), ...].
Tensor take_rows(const Tensor& features, const std::vector<int64_t>& indices);

}  // namespace uniad

#pragma once
// Training checkpoints in HDF5 (schema: docs/checkpoint.md). One file holds
//   /model/<parameter name>                  the parameters
//   /optimizer/<parameter name>/<buffer>     AdamW's step, exp_avg, exp_avg_sq
//   /optimizer/step_count
//   /train/{epoch, step, best_val_loss, lr}  progress (the schedule is a function of epoch)
//   /rng/{model, data}                       generator states, 4 x uint64 stored as int64
//   /config                                  the full run configuration as a JSON string
//   /format_version, /code_version
// Writes go to a temporary file in the same folder, renamed into place only once complete,
// so a crash never leaves a broken checkpoint behind.
#include <array>
#include <cmath>
#include <string>

#include "nn/module.h"
#include "nn/optim.h"
#include "uniad/config_io.h"

namespace uniad {

inline constexpr int64_t kCheckpointFormatVersion = 1;

struct TrainingState {
  int64_t epoch = 0;  // epochs completed
  int64_t step = 0;   // optimiser steps completed
  double best_val_loss = INFINITY;
  double lr = 0;
  std::array<uint64_t, 4> model_rng{};  // dropout and jitter
  std::array<uint64_t, 4> data_rng{};   // shuffling
};

struct CheckpointInfo {
  RunConfig config;
  TrainingState state;
  std::string code_version;
};

// The code version compiled into this build ("0.1.0+<git revision>").
std::string code_version();

void save_checkpoint(const std::string& path, const RunConfig& config, const nn::Module& model,
                     const nn::Optimizer* optimizer, const TrainingState& state);

// Configuration and progress only (e.g. to build the model before loading it).
CheckpointInfo read_checkpoint_info(const std::string& path);

// Loads parameters into `model` (and state into `optimizer` when given). Every name and shape
// must match; the error lists the missing, unexpected and mismatched names.
CheckpointInfo load_checkpoint(const std::string& path, nn::Module& model, nn::Optimizer* optimizer);

}  // namespace uniad

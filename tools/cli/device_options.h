#pragma once
// --device and --precision for the commands that run the model. They become the overrides
// train.device=... and train.matmul_precision=... (uniad/train_config.h), so a configuration
// file or --set can say the same thing.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "nn/module.h"
#include "uniad/train_config.h"

namespace uniad::cli {

void add_device_options(CLI::App* cmd, std::vector<std::string>& overrides);
// Moves a model read from a checkpoint to train.device, sets the GPU matmul precision, and says
// where it computes on stderr.
void place_model(nn::Module& model, const TrainConfig& train);

}  // namespace uniad::cli

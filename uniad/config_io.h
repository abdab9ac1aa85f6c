#pragma once
// Configuration files (JSON) and command-line overrides.
//
//   {"model": {"network": "uniad", "hidden_dim": 256, ...}, "train": {"lr": 1e-4, ...}}
// Every key is optional (defaults are the paper's); an unknown key or a value of the wrong type
// is an error that names the file and the key. Overrides use dotted keys: "train.lr=5e-4",
// "model.network=mlp", "model.mask_encoder=false".
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "uniad/config.h"
#include "uniad/train_config.h"

namespace uniad {

struct RunConfig {
  ModelConfig model;
  TrainConfig train;
};

nlohmann::json to_json(const RunConfig& config);
// `source` names the origin (a file path, "checkpoint", "--set") in error messages.
RunConfig run_config_from_json(const nlohmann::json& j, const std::string& source);
// Applies "dotted.key=value" to j; the value is parsed as JSON when it can be (numbers, true,
// false), else taken as a string.
void apply_override(nlohmann::json& j, const std::string& assignment);
// Reads a file (or the defaults when path is empty), applies overrides, validates.
RunConfig load_run_config(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace uniad

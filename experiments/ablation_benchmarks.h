#pragma once
// Where the ablation suites run: a benchmark is a run configuration (configs/*.json) plus one
// data set per split, and each benchmark has two presets of model size, schedule, data and seeds:
//   cpu   sized to finish each suite in minutes on a two-core machine (docs/ablations.md)
//   full  the paper's model and schedule on all the data, for a GPU; `uniad ablate --dry-run`
//         estimates its time from the model's FLOPs (uniad/model_flops.h)
#include <cstdint>
#include <string>
#include <vector>

namespace uniad {

struct AblationDataset {
  std::string name;                            // run folder and table column, e.g. "fmnist-01234"
  std::vector<std::string> run_overrides;      // on top of the run configuration (data.features, ...)
  std::string features_config;                 // builds the cache when it is missing
  std::vector<std::string> features_overrides; // on top of features_config (split, subset, out)
  int64_t train_images = 0;                    // normal training images, for time estimates only
  int64_t test_images = 0;
};

struct AblationPreset {
  std::string name;                    // cpu | full
  std::string about;                   // one line for --list and the table
  std::vector<uint64_t> seeds;
  std::vector<std::string> overrides;  // model size and schedule, on top of the run configuration
  int64_t lab_every = 1;               // train.shortcut_every for suites that record the lab
  std::vector<AblationDataset> datasets;
};

struct AblationBenchmark {
  std::string name;        // textures | fashion-mnist
  std::string run_config;  // the base configuration file
  std::string about;
  std::vector<AblationPreset> presets;
};

const std::vector<AblationBenchmark>& ablation_benchmarks();
// Both throw naming the known choices.
const AblationBenchmark& find_ablation_benchmark(const std::string& name);
const AblationPreset& find_ablation_preset(const AblationBenchmark& benchmark, const std::string& name);

}  // namespace uniad

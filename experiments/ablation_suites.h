#pragma once
// The paper's ablations as data: a suite is a set of configurations that differ in one switch
// (uniad/config.h), each variant a list of `section.key=value` overrides on top of a benchmark's
// run configuration (experiments/ablation_benchmarks.h). `uniad ablate --list` prints them.
#include <string>
#include <vector>

namespace uniad {

struct AblationVariant {
  std::string name;                    // the table's row label and the run folder, e.g. "window5"
  std::vector<std::string> overrides;  // section.key=value, applied after the benchmark's
  bool per_class = false;              // one model per class instead of one unified model
  std::string what;                    // one line for the table
  bool lab = false;                    // record the identical-shortcut lab (train.shortcut_every)
};

struct AblationSuite {
  std::string name;      // network | mask | jitter | unified
  std::string question;  // what the suite asks, for the table's heading
  std::string baseline;  // the variant equal to the paper's UniAD (the benchmark's own config)
  bool lab = false;      // record the identical-shortcut lab in every run, not only lab variants
  std::vector<AblationVariant> variants;
};

// Every suite, in the order `--suite all` runs them.
const std::vector<AblationSuite>& ablation_suites();
// Throws naming the known suites when `name` is not one of them.
const AblationSuite& find_ablation_suite(const std::string& name);

}  // namespace uniad

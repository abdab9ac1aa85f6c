#pragma once
// What `uniad eval` writes and prints: metrics.json and metrics.md (layout: docs/main_job.md),
// heat-map composites, and the plain-text summary.
#include <string>
#include <vector>

#include "data/feature_cache.h"
#include "uniad/config_io.h"
#include "uniad/evaluate.h"
#include "uniad/threshold.h"

namespace uniad::cli {

struct EvalMethod {
  std::string name;  // "uniad", "nearest_neighbour"
  ScoredSplit scored;
  EvaluationReport per_class, per_defect;
};

struct EvalResults {
  std::string checkpoint, features;
  EvalConfig eval;
  int64_t size = 0;
  std::vector<EvalMethod> methods;  // UniAD first
  Threshold threshold;              // UniAD's
  std::vector<std::string> heatmaps;  // relative to the output folder
  double seconds = 0;
};

// Up to `per_class` composites per class (one defective image of each kind in turn, then one
// normal image), drawn on one colour scale for the whole test set. Returns paths relative to
// out_dir ("heatmaps/<class>_<defect>_<file>.png").
std::vector<std::string> write_heatmaps(const data::FeatureSplit& test, const ScoredSplit& scored, int64_t per_class,
                                        const std::string& out_dir);

void write_eval_outputs(const EvalResults& results, const data::FeatureSplit& test, const std::string& out_dir);
void print_eval_summary(const EvalResults& results, const data::FeatureSplit& test, const std::string& out_dir);

}  // namespace uniad::cli

#pragma once
// The decision threshold of `uniad predict`, chosen without anomalies: unsupervised training
// sees no defective image, so the threshold is a high quantile of the image scores of the
// held-out NORMAL validation images (the trainer's validation split). With q = 0.99 about one
// normal image in a hundred is flagged; the test set's false- and true-positive rates at the
// threshold are reported by `uniad eval` (docs/main_job.md).
#include <span>
#include <string>

#include <nlohmann/json.hpp>

namespace uniad {

// The q-quantile of `scores` with linear interpolation between order statistics (numpy's
// default "linear" method). Throws when scores is empty, q is outside [0, 1] or a score is NaN.
double quantile(std::span<const double> scores, double q);

struct Threshold {
  double value = 0;
  double quantile = 0.99;
  int64_t validation_images = 0;
  std::string checkpoint;  // the model the scores came from
  // The heat-map colour scale of the evaluation (uniad/heatmap.h), so that `uniad predict`
  // draws its pictures in the same colours; hi <= lo when unknown.
  float map_lo = 0, map_hi = 0;
};

nlohmann::json to_json(const Threshold& t);
// Reads RUN_DIR/threshold.json as written by `uniad eval`; errors name the file and the key.
Threshold read_threshold(const std::string& path);
void write_threshold(const std::string& path, const Threshold& t);

}  // namespace uniad

#pragma once
// Scoring a test split and measuring it: the core of `uniad eval` (and of the test metrics a
// training run may track). A "map function" turns a batch of features into token-level anomaly
// maps; UniAD's is the reconstruction error (uniad/scoring.h), the baseline's the distance to
// the nearest training token (uniad/nearest_neighbour.h). Everything after the map is shared:
// bilinear upsampling to the evaluation size, image scores, and the metrics per class and per
// defect kind (uniad/metrics.h).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/feature_cache.h"
#include "uniad/config_io.h"
#include "uniad/metrics.h"
#include "uniad/model.h"
#include "uniad/scoring.h"

namespace uniad {

// features [b, C, G, G] -> token-level anomaly map [b, 1, G, G]
using MapFunction = std::function<Tensor(const Tensor& features)>;

// The reconstruction error of `model`, run in eval mode without gradients.
MapFunction reconstruction_map(const ReconstructionModel& model);

struct ScoredSplit {
  int64_t count = 0, size = 0;      // N images, maps of size x size
  std::vector<float> maps;          // [N, size, size] pixel-level anomaly maps
  std::vector<double> image_scores; // [N]
};

ImageScore parse_image_score(const std::string& name);  // max_avg_pool | mean | std

// Runs `map` over features [N, C, G, G] in batches; maps are upsampled to size x size
// (bilinear, align_corners=True). `progress` (may be empty) gets (images done, N).
ScoredSplit score_features(const Tensor& features, const MapFunction& map, int64_t size, const EvalConfig& eval,
                           const data::ProgressFn& progress = {});

// Whether every class of the split is wholly normal or wholly anomalous (the one-class-vs-rest
// protocols of Fashion-MNIST and CIFAR-10).
bool is_one_class_vs_rest(const data::FeatureSplit& test);

// Metrics per class of a scored test split (masks from the cache, resized already). A
// one-class-vs-rest split is measured as one pool ("all classes"), image metrics only.
// with_pixel = false skips the pixel metrics and AUPRO (fast, for tracking).
EvaluationReport evaluate_split(const data::FeatureSplit& test, const ScoredSplit& scored, bool with_pixel = true);

// One row per defect kind: the mean over classes of the metrics on each class's normal images
// plus its images of that kind (docs/main_job.md). Kinds in order of first appearance.
EvaluationReport evaluate_per_defect(const data::FeatureSplit& test, const ScoredSplit& scored);

}  // namespace uniad

#include "uniad/evaluate.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "autograd/variable.h"
#include "tensor/error.h"

namespace uniad {

MapFunction reconstruction_map(const ReconstructionModel& model) {
  return [&model](const Tensor& features) {
    // In training mode feature jitter and dropout would change every score.
    UNIAD_CHECK(!model.is_training(), "reconstruction_map: the model is in training mode; call eval() first");
    ag::NoGradGuard no_grad;
    // Scores are computed on the host: the reconstruction comes back from the model's device.
    const Tensor reconstruction = model.forward(features).data().to(Device::cpu());  // [b, C, G, G]
    return anomaly_map(features, reconstruction);                  // [b, 1, G, G]
  };
}

ImageScore parse_image_score(const std::string& name) {
  if (name == "max_avg_pool") return ImageScore::MaxAvgPool;
  if (name == "mean") return ImageScore::Mean;
  if (name == "std") return ImageScore::Std;
  throw Error(cat("eval.image_score must be max_avg_pool, mean or std, got '", name, "'"));
}

ScoredSplit score_features(const Tensor& features, const MapFunction& map, int64_t size, const EvalConfig& eval,
                           const data::ProgressFn& progress) {
  UNIAD_CHECK(features.dim() == 4, "score_features: features must be [N, C, G, G], got ", shape_str(features.shape()));
  const ImageScore kind = parse_image_score(eval.image_score);
  ScoredSplit out;
  out.count = features.size(0);
  out.size = size;
  out.maps.resize(static_cast<size_t>(out.count * size * size));
  out.image_scores.resize(static_cast<size_t>(out.count));
  if (progress) progress(0, out.count);
  for (int64_t start = 0; start < out.count; start += eval.batch_size) {
    const int64_t end = std::min(out.count, start + eval.batch_size);
    const Tensor batch = features.slice(0, start, end).contiguous();  // [b, C, G, G]
    const Tensor tokens = smooth_map(map(batch), eval.map_sigma);     // [b, 1, G, G]
    const Tensor pixels = upsample_map(tokens, size, size).contiguous();  // [b, 1, S, S]
    const Tensor scores = image_scores(pixels, kind, eval.pool).to(DType::Float64);  // [b]
    std::copy_n(pixels.data<float>(), (end - start) * size * size, out.maps.begin() + start * size * size);
    std::copy_n(scores.data<double>(), end - start, out.image_scores.begin() + start);
    if (progress) progress(end, out.count);
  }
  return out;
}

namespace {

void check_matches(const data::FeatureSplit& test, const ScoredSplit& scored) {
  const int64_t n = static_cast<int64_t>(test.labels.size());
  UNIAD_CHECK(scored.count == n, "evaluate: ", scored.count, " scored images for a test split of ", n);
  UNIAD_CHECK(test.mask_size == scored.size, "evaluate: maps of ", scored.size, "x", scored.size,
              " but masks of ", test.mask_size, "x", test.mask_size, " in the feature cache");
}

// The metrics of the images `rows` of the split.
EvaluationReport evaluate_rows(const data::FeatureSplit& test, const ScoredSplit& scored,
                               const std::vector<int64_t>& rows, bool with_pixel) {
  const int64_t px = scored.size * scored.size;
  std::vector<double> scores;
  std::vector<uint8_t> labels, masks;
  std::vector<int64_t> class_ids;
  std::vector<float> maps;
  for (int64_t r : rows) {
    scores.push_back(scored.image_scores[r]);
    labels.push_back(static_cast<uint8_t>(test.labels[r]));
    class_ids.push_back(test.class_ids[r]);
    if (with_pixel) {
      maps.insert(maps.end(), scored.maps.begin() + r * px, scored.maps.begin() + (r + 1) * px);
      masks.insert(masks.end(), test.masks.begin() + r * px, test.masks.begin() + (r + 1) * px);
    }
  }
  EvaluationInput in;
  in.image_scores = scores;
  in.image_labels = labels;
  in.class_ids = class_ids;
  in.class_names = test.class_names;
  if (with_pixel) {
    in.maps = maps;
    in.masks = masks;
    in.height = in.width = scored.size;
  }
  return evaluate_per_class(in);
}

}  // namespace

bool is_one_class_vs_rest(const data::FeatureSplit& test) {
  std::map<int, std::set<int>> labels_of_class;
  for (size_t i = 0; i < test.labels.size(); ++i) labels_of_class[test.class_ids[i]].insert(test.labels[i]);
  if (labels_of_class.empty()) return false;
  for (const auto& [cls, labels] : labels_of_class)
    if (labels.size() > 1) return false;
  return true;
}

EvaluationReport evaluate_split(const data::FeatureSplit& test, const ScoredSplit& scored, bool with_pixel) {
  check_matches(test, scored);
  // The whole split: point at the scored maps and the cache's masks instead of copying them.
  const std::vector<uint8_t> labels(test.labels.begin(), test.labels.end());
  std::vector<int64_t> class_ids(test.class_ids.begin(), test.class_ids.end());
  EvaluationInput in;
  in.image_scores = scored.image_scores;
  in.image_labels = labels;
  in.class_ids = class_ids;
  in.class_names = test.class_names;
  const bool pooled = is_one_class_vs_rest(test);
  if (pooled) {
    // Every class is wholly normal or wholly anomalous (Fashion-MNIST, CIFAR-10): a per-class
    // AUROC is undefined, so the whole split is measured at once, as the paper does, and there
    // are no defect pixels to measure.
    std::fill(class_ids.begin(), class_ids.end(), 0);
    in.class_names = {"all classes"};
    with_pixel = false;
  }
  if (with_pixel) {
    in.maps = scored.maps;
    in.masks = test.masks;
    in.height = in.width = scored.size;
  }
  EvaluationReport report = evaluate_per_class(in);
  if (pooled)
    report.notes.push_back(cat("every class is wholly normal or wholly anomalous: one AUROC over all ", labels.size(),
                               " test images of ", std::set<int>(test.class_ids.begin(), test.class_ids.end()).size(),
                               " classes, no pixel metrics"));
  return report;
}

EvaluationReport evaluate_per_defect(const data::FeatureSplit& test, const ScoredSplit& scored) {
  check_matches(test, scored);
  std::vector<std::string> kinds;
  for (size_t i = 0; i < test.defects.size(); ++i)
    if (test.labels[i] == 1 && std::find(kinds.begin(), kinds.end(), test.defects[i]) == kinds.end())
      kinds.push_back(test.defects[i]);
  EvaluationReport out;
  out.has_pixel = true;
  for (const std::string& kind : kinds) {
    std::vector<int64_t> rows;
    for (size_t i = 0; i < test.defects.size(); ++i)
      if (test.labels[i] == 0 || test.defects[i] == kind) rows.push_back(static_cast<int64_t>(i));
    ClassMetrics row = evaluate_rows(test, scored, rows, true).mean;
    row.name = kind;
    row.images = 0;
    for (int64_t r : rows) row.images += test.labels[r];  // the defective images of this kind
    out.classes.push_back(row);
  }
  fill_mean(out);  // the mean over kinds, for the table's last row
  return out;
}

}  // namespace uniad

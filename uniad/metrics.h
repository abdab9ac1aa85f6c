#pragma once
// Evaluation metrics of unsupervised anomaly detection (UniAD paper, MVTec AD protocol).
// Definitions, tie handling and edge cases: docs/metrics.md. In short:
//   AUROC  trapezoid area under the ROC curve over distinct thresholds (tied scores are one ROC
//          step), exactly sklearn.metrics.roc_auc_score.
//   AP     sum over distinct thresholds of (R_k - R_{k-1}) P_k, no interpolation, exactly
//          sklearn.metrics.average_precision_score.
//   F1-max max over distinct thresholds of 2PR/(P+R) from precision_recall_curve (0/0 -> 0).
//   AUPRO  per-region overlap integrated over FPR in [0, max_fpr] (trapezoid, the end point
//          interpolated), divided by max_fpr; regions are 8-connected per image; every distinct
//          score is a threshold (exact, no threshold grid).
// Undefined metrics are NaN, never an exception: a set with no positives or no negatives has no
// AUROC/AP/F1 (sklearn raises or warns instead), a set with no defect region or no normal pixel
// has no AUPRO. Callers print NaN as "n/a" (format_metric). Bad input (NaN scores, labels other
// than 0/1, mismatched sizes) throws uniad::Error.
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tensor/tensor.h"

namespace uniad {

inline constexpr double kMetricUndefined = std::numeric_limits<double>::quiet_NaN();

struct BinaryMetrics {
  double auroc = kMetricUndefined;
  double average_precision = kMetricUndefined;
  double f1_max = kMetricUndefined;
  int64_t positives = 0;
  int64_t negatives = 0;
};

// scores [P], labels [P] in {0, 1}. Sort-based, O(P log P); one (score, label) copy of 8 bytes
// (float) or 16 bytes (double) per element.
BinaryMetrics binary_metrics(std::span<const double> scores, std::span<const uint8_t> labels);
BinaryMetrics binary_metrics(std::span<const float> scores, std::span<const uint8_t> labels);
// Any shapes with equal element counts; scores float32 or float64 (kept in that precision),
// labels of any dtype holding only 0 and 1.
BinaryMetrics binary_metrics(const Tensor& scores, const Tensor& labels);

// maps [N, H, W] float, masks [N, H, W] in {0, 1}; flat row-major spans.
double aupro(std::span<const float> maps, std::span<const uint8_t> masks, int64_t n, int64_t h, int64_t w,
             double max_fpr = 0.3);
// maps [N, H, W] or [N, 1, H, W] (float32 or float64, used as float32), masks of the same
// element count in {0, 1}, any dtype.
double aupro(const Tensor& maps, const Tensor& masks, double max_fpr = 0.3);

// Connected defect regions of one mask [H, W] with 8-connectivity (scipy.ndimage.label with a
// 3x3 structure): label per pixel, -1 for normal pixels, regions numbered 0.. in raster order of
// their first pixel. Returns the number of regions.
int64_t label_regions(std::span<const uint8_t> mask, int64_t h, int64_t w, std::span<int32_t> labels);

// Tensor -> 0/1 bytes, checking every value (the index and value of the first bad one are named).
std::vector<uint8_t> to_binary_labels(const Tensor& labels, const std::string& what);

// "0.9731" with four decimals, "n/a" for NaN.
std::string format_metric(double value);

// ---- per-class evaluation ----
struct ClassMetrics {
  std::string name;
  int64_t images = 0;
  BinaryMetrics image;
  BinaryMetrics pixel;                  // NaN when no maps were given
  double aupro = kMetricUndefined;      // NaN when no maps were given
};

struct EvaluationReport {
  std::vector<ClassMetrics> classes;  // in class-id order, classes without images left out
  ClassMetrics mean;                  // unweighted mean over classes, NaN entries skipped
  std::vector<std::string> notes;     // which classes were skipped for which metric
  bool has_pixel = false;
};

// Everything of one test set. class_ids index class_names. Pixel fields may be left empty
// (image-level metrics only); otherwise maps and masks are [N, H, W] row-major.
struct EvaluationInput {
  std::span<const double> image_scores;   // [N]
  std::span<const uint8_t> image_labels;  // [N] 0 normal, 1 anomalous
  std::span<const int64_t> class_ids;     // [N]
  std::vector<std::string> class_names;
  std::span<const float> maps;            // [N, H, W] or empty
  std::span<const uint8_t> masks;         // [N, H, W] or empty
  int64_t height = 0, width = 0;
  double aupro_max_fpr = 0.3;
};

EvaluationReport evaluate_per_class(const EvaluationInput& input);

// Sets report.mean to the unweighted mean of report.classes, column by column (NaN entries
// skipped and named in report.notes), and its image count to their sum. evaluate_per_class
// calls it; so does any report whose rows are built another way (per defect kind).
void fill_mean(EvaluationReport& report);

// {"classes": [{"name", "images", "image_auroc", ...}], "mean": {...}, "notes": [...]};
// NaN is written as null.
nlohmann::json to_json(const EvaluationReport& report);
// | class | images | image AUROC | image AP | image F1-max | pixel AUROC | ... | plus a mean row.
std::string to_markdown(const EvaluationReport& report);

}  // namespace uniad

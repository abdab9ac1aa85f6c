// Image- and pixel-level AUROC, average precision and F1-max (definitions in metrics.h and
// docs/metrics.md). One sort by descending score, then one pass over the groups of tied scores:
// each group is one threshold, i.e. one point of the ROC and PR curves, so ties are handled the
// way sklearn's _binary_clf_curve handles them.
#include "uniad/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tensor/error.h"

namespace uniad {
namespace {

template <typename S>
struct Scored {
  S score;
  uint8_t label;
};

// Walks the thresholds from the highest score down. tp/fp are counts at or above the threshold.
template <typename S>
BinaryMetrics binary_metrics_impl(std::span<const S> scores, std::span<const uint8_t> labels) {
  UNIAD_CHECK(scores.size() == labels.size(), "metrics: ", scores.size(), " scores but ", labels.size(), " labels");
  // Exact integer AUROC needs 2 P N < 2^63.
  UNIAD_CHECK(scores.size() < (int64_t{1} << 31), "metrics: ", scores.size(), " elements, at most 2^31 supported");
  BinaryMetrics m;
  std::vector<Scored<S>> items(scores.size());  // [P]
  for (size_t i = 0; i < scores.size(); ++i) {
    UNIAD_CHECK(!std::isnan(scores[i]), "metrics: score ", i, " is NaN");
    UNIAD_CHECK(labels[i] <= 1, "metrics: label ", i, " is ", int(labels[i]), ", expected 0 or 1");
    items[i] = {scores[i], labels[i]};
    m.positives += labels[i];
  }
  m.negatives = static_cast<int64_t>(scores.size()) - m.positives;
  if (m.positives == 0 || m.negatives == 0) return m;  // undefined: NaN
  std::sort(items.begin(), items.end(), [](const Scored<S>& a, const Scored<S>& b) { return a.score > b.score; });

  const double P = static_cast<double>(m.positives);
  int64_t tp = 0, fp = 0, prev_tp = 0, prev_fp = 0;
  int64_t area2 = 0;  // 2 P N AUROC, exact: sum of (fp - prev_fp)(tp + prev_tp)
  double ap = 0, f1_max = 0;
  for (size_t i = 0; i < items.size();) {
    const S s = items[i].score;
    for (; i < items.size() && items[i].score == s; ++i) (items[i].label ? tp : fp) += 1;
    area2 += (fp - prev_fp) * (tp + prev_tp);
    const double precision = static_cast<double>(tp) / static_cast<double>(tp + fp);  // tp + fp >= 1
    const double recall = static_cast<double>(tp) / P;
    ap += (static_cast<double>(tp - prev_tp) / P) * precision;
    if (precision + recall > 0) f1_max = std::max(f1_max, 2 * precision * recall / (precision + recall));
    prev_tp = tp;
    prev_fp = fp;
  }
  m.auroc = static_cast<double>(area2) / (2.0 * P * static_cast<double>(m.negatives));
  m.average_precision = ap;
  m.f1_max = f1_max;
  return m;
}

}  // namespace

BinaryMetrics binary_metrics(std::span<const double> scores, std::span<const uint8_t> labels) {
  return binary_metrics_impl<double>(scores, labels);
}

BinaryMetrics binary_metrics(std::span<const float> scores, std::span<const uint8_t> labels) {
  return binary_metrics_impl<float>(scores, labels);
}

std::vector<uint8_t> to_binary_labels(const Tensor& labels, const std::string& what) {
  UNIAD_CHECK(labels.defined(), what, ": undefined tensor");
  const std::vector<double> v = labels.to_vector();
  std::vector<uint8_t> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    UNIAD_CHECK(v[i] == 0 || v[i] == 1, what, " ", shape_str(labels.shape()), ": element ", i, " is ", v[i],
                ", expected 0 or 1");
    out[i] = static_cast<uint8_t>(v[i]);
  }
  return out;
}

BinaryMetrics binary_metrics(const Tensor& scores, const Tensor& labels) {
  UNIAD_CHECK(scores.defined() && labels.defined(), "binary_metrics: undefined tensor");
  UNIAD_CHECK(scores.numel() == labels.numel(), "binary_metrics: scores ", shape_str(scores.shape()), " vs labels ",
              shape_str(labels.shape()));
  const std::vector<uint8_t> y = to_binary_labels(labels, "binary_metrics: labels");
  const Tensor s = scores.contiguous();
  const size_t n = static_cast<size_t>(s.numel());
  if (s.dtype() == DType::Float32) return binary_metrics(std::span<const float>(s.data<float>(), n), y);
  UNIAD_CHECK(s.dtype() == DType::Float64, "binary_metrics: scores ", shape_str(scores.shape()),
              " must be float32 or float64");
  return binary_metrics(std::span<const double>(s.data<double>(), n), y);
}

std::string format_metric(double value) {
  if (std::isnan(value)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", value);
  return buf;
}

}  // namespace uniad

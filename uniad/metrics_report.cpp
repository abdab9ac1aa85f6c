// Per-class evaluation: every metric per class, the unweighted mean over classes (the number the
// UniAD paper reports), written as JSON or as a Markdown table.
#include <cmath>
#include <exception>
#include <sstream>

#include "tensor/error.h"
#include "uniad/metrics.h"

namespace uniad {
namespace {

// One metric column: its name in JSON and Markdown and how to read it from a ClassMetrics.
struct Column {
  const char* key;
  const char* title;
  bool pixel;
  double ClassMetrics::*top;  // set for aupro
  double BinaryMetrics::*field;
  BinaryMetrics ClassMetrics::*level;
  double get(const ClassMetrics& c) const { return top ? c.*top : (c.*level).*field; }
  double& ref(ClassMetrics& c) const { return top ? c.*top : (c.*level).*field; }
};

const std::vector<Column>& columns() {
  static const std::vector<Column> cols = {
      {"image_auroc", "image AUROC", false, nullptr, &BinaryMetrics::auroc, &ClassMetrics::image},
      {"image_ap", "image AP", false, nullptr, &BinaryMetrics::average_precision, &ClassMetrics::image},
      {"image_f1_max", "image F1-max", false, nullptr, &BinaryMetrics::f1_max, &ClassMetrics::image},
      {"pixel_auroc", "pixel AUROC", true, nullptr, &BinaryMetrics::auroc, &ClassMetrics::pixel},
      {"pixel_ap", "pixel AP", true, nullptr, &BinaryMetrics::average_precision, &ClassMetrics::pixel},
      {"pixel_f1_max", "pixel F1-max", true, nullptr, &BinaryMetrics::f1_max, &ClassMetrics::pixel},
      {"aupro", "AUPRO", true, &ClassMetrics::aupro, nullptr, nullptr},
  };
  return cols;
}

nlohmann::json number_or_null(double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); }

// The metrics of one class: its images' scores, and its maps and masks when has_pixel.
ClassMetrics measure_class(const EvaluationInput& in, const std::vector<size_t>& idx, const std::string& name,
                           bool has_pixel, size_t hw) {
  ClassMetrics cm;
  if (idx.empty()) return cm;
  cm.name = name;
  cm.images = static_cast<int64_t>(idx.size());
  std::vector<double> s(idx.size());
  std::vector<uint8_t> y(idx.size());
  for (size_t k = 0; k < idx.size(); ++k) {
    s[k] = in.image_scores[idx[k]];
    y[k] = in.image_labels[idx[k]];
  }
  cm.image = binary_metrics(std::span<const double>(s), y);
  if (!has_pixel) return cm;
  // Samples of a class are usually contiguous: use the caller's memory then, else gather.
  const bool contiguous = idx.back() - idx.front() + 1 == idx.size();
  std::vector<float> maps_copy;
  std::vector<uint8_t> masks_copy;
  std::span<const float> maps = in.maps.subspan(idx.front() * hw, idx.size() * hw);
  std::span<const uint8_t> masks = in.masks.subspan(idx.front() * hw, idx.size() * hw);
  if (!contiguous) {
    maps_copy.reserve(idx.size() * hw);
    masks_copy.reserve(idx.size() * hw);
    for (size_t i : idx) {
      maps_copy.insert(maps_copy.end(), in.maps.begin() + i * hw, in.maps.begin() + (i + 1) * hw);
      masks_copy.insert(masks_copy.end(), in.masks.begin() + i * hw, in.masks.begin() + (i + 1) * hw);
    }
    maps = maps_copy;
    masks = masks_copy;
  }
  cm.pixel = binary_metrics(maps, masks);
  cm.aupro = aupro(maps, masks, cm.images, static_cast<int64_t>(in.height), static_cast<int64_t>(in.width),
                   in.aupro_max_fpr);
  return cm;
}

}  // namespace

EvaluationReport evaluate_per_class(const EvaluationInput& in) {
  const size_t n = in.image_scores.size();
  UNIAD_CHECK(in.image_labels.size() == n && in.class_ids.size() == n, "evaluate_per_class: ", n,
              " image scores, ", in.image_labels.size(), " labels, ", in.class_ids.size(), " class ids");
  const size_t hw = static_cast<size_t>(in.height * in.width);
  EvaluationReport report;
  report.has_pixel = !in.maps.empty() || !in.masks.empty();
  if (report.has_pixel)
    UNIAD_CHECK(in.height > 0 && in.width > 0 && in.maps.size() == n * hw && in.masks.size() == n * hw,
                "evaluate_per_class: maps of ", in.maps.size(), " and masks of ", in.masks.size(),
                " pixels, expected [", n, ", ", in.height, ", ", in.width, "]");

  std::vector<std::vector<size_t>> members(in.class_names.size());  // per class: sample indices
  for (size_t i = 0; i < n; ++i) {
    const int64_t c = in.class_ids[i];
    UNIAD_CHECK(c >= 0 && c < static_cast<int64_t>(in.class_names.size()), "evaluate_per_class: class id ", c,
                " of sample ", i, " outside [0, ", in.class_names.size(), ")");
    members[static_cast<size_t>(c)].push_back(i);
  }

  // Classes are independent: measure them in parallel (each sorts millions of pixels), then keep
  // class-id order. An exception inside the parallel loop is carried out of it and rethrown.
  std::vector<ClassMetrics> per_class(members.size());
  std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic, 1)
  for (size_t c = 0; c < members.size(); ++c) {
    try {
      per_class[c] = measure_class(in, members[c], in.class_names[c], report.has_pixel, hw);
    } catch (...) {
#pragma omp critical(evaluate_per_class_failure)
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  for (size_t c = 0; c < members.size(); ++c)
    if (!members[c].empty()) report.classes.push_back(std::move(per_class[c]));

  fill_mean(report);
  return report;
}

void fill_mean(EvaluationReport& report) {
  report.mean = ClassMetrics{};
  report.mean.name = "mean";
  for (const Column& col : columns()) {
    if (col.pixel && !report.has_pixel) continue;
    double sum = 0;
    int count = 0;
    std::string skipped;
    for (ClassMetrics& cm : report.classes) {
      const double v = col.get(cm);
      if (std::isnan(v)) {
        skipped += (skipped.empty() ? "" : ", ") + cm.name;
      } else {
        sum += v;
        ++count;
      }
    }
    col.ref(report.mean) = count ? sum / count : kMetricUndefined;
    if (!skipped.empty())
      report.notes.push_back(cat(col.title, ": mean over ", count, " of ", report.classes.size(),
                                 " classes, undefined for ", skipped));
  }
  for (const ClassMetrics& cm : report.classes) report.mean.images += cm.images;
}

nlohmann::json to_json(const EvaluationReport& report) {
  auto row = [&](const ClassMetrics& c) {
    nlohmann::json j = {{"name", c.name}, {"images", c.images}};
    for (const Column& col : columns())
      if (!col.pixel || report.has_pixel) j[col.key] = number_or_null(col.get(c));
    return j;
  };
  nlohmann::json classes = nlohmann::json::array();
  for (const ClassMetrics& c : report.classes) classes.push_back(row(c));
  return {{"classes", classes}, {"mean", row(report.mean)}, {"notes", report.notes}};
}

std::string to_markdown(const EvaluationReport& report) {
  std::ostringstream os;
  std::vector<const Column*> cols;
  for (const Column& col : columns())
    if (!col.pixel || report.has_pixel) cols.push_back(&col);
  os << "| class | images |";
  for (const Column* col : cols) os << ' ' << col->title << " |";
  os << "\n|---|---:|";
  for (size_t i = 0; i < cols.size(); ++i) os << "---:|";
  os << '\n';
  auto row = [&](const ClassMetrics& c, bool bold) {
    os << "| " << (bold ? "**" + c.name + "**" : c.name) << " | " << c.images << " |";
    for (const Column* col : cols) os << ' ' << format_metric(col->get(c)) << " |";
    os << '\n';
  };
  for (const ClassMetrics& c : report.classes) row(c, false);
  row(report.mean, true);
  if (!report.notes.empty()) os << '\n';
  for (const std::string& note : report.notes) os << "- note: " << note << '\n';
  return os.str();
}

}  // namespace uniad

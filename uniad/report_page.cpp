// What the run report says, section by section (the rendering is report_render.cpp's).
#include "uniad/report_page.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "uniad/metrics.h"

namespace uniad {
namespace {

std::string duration(double seconds) {
  const long long s = std::llround(seconds);
  char buf[48];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%lldh %02lldm %02llds", s / 3600, s / 60 % 60, s % 60);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%lldm %02llds", s / 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%.1f s", seconds);
  return buf;
}

std::string number(double v) {
  if (!std::isfinite(v)) return "n/a";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// The metric columns that some row of `m` has, in the standard order.
std::vector<std::pair<std::string, std::string>> present_columns(const MethodMetrics& m) {
  std::set<std::string> keys;
  for (const MetricRow& row : m.rows)
    for (const auto& kv : row.values) keys.insert(kv.first);
  for (const auto& kv : m.mean.values) keys.insert(kv.first);
  std::vector<std::pair<std::string, std::string>> columns;
  for (const auto& column : metric_columns())
    if (keys.count(column.first)) columns.push_back(column);
  return columns;
}

void metrics_table(ReportDocument& doc, const MethodMetrics& m, const std::string& first_column) {
  const auto columns = present_columns(m);
  bool images = m.mean.images >= 0;
  for (const MetricRow& row : m.rows) images = images || row.images >= 0;
  std::vector<std::string> header = {first_column};
  if (images) header.push_back("images");
  for (const auto& column : columns) header.push_back(column.second);
  std::vector<std::vector<std::string>> rows;
  auto add = [&](const MetricRow& row, const std::string& name) {
    std::vector<std::string> cells = {name};
    if (images) cells.push_back(row.images >= 0 ? std::to_string(row.images) : "");
    for (const auto& column : columns) cells.push_back(format_metric(row.get(column.first)));
    rows.push_back(std::move(cells));
  };
  for (const MetricRow& row : m.rows) add(row, row.name);
  add(m.mean, "mean");
  doc.table(header, rows, true);
  if (!m.notes.empty()) {
    std::vector<std::string> notes;
    for (const std::string& n : m.notes) notes.push_back("note: " + n);
    doc.bullets(notes);
  }
}

std::vector<std::string> training_lines(const RunLog& log) {
  std::vector<std::string> lines;
  std::set<int64_t> epochs;
  for (const LogStep& s : log.steps) epochs.insert(s.epoch);
  std::string training = "training: " + std::to_string(epochs.size()) + " epochs, " +
                         std::to_string(log.steps.size()) + " steps in " + duration(log.seconds);
  if (log.resumes > 0) training += " (resumed " + std::to_string(log.resumes) + " times)";
  lines.push_back(training);
  if (!log.steps.empty()) {
    double sum = 0;
    int count = 0;
    for (const LogStep& s : log.steps)
      if (s.epoch == log.steps.back().epoch) sum += s.loss, ++count;
    lines.push_back("last epoch's mean training loss: " + number(sum / count));
    lines.push_back("learning rate: " + number(log.steps.front().lr) + " at the first step, " +
                    number(log.steps.back().lr) + " at the last");
  }
  if (log.validations.empty()) {
    lines.push_back("best validation loss: none (the log has no validation lines)");
  } else {
    const auto best = std::min_element(log.validations.begin(), log.validations.end(),
                                       [](const LogValidation& a, const LogValidation& b) { return a.val_loss < b.val_loss; });
    lines.push_back("best validation loss: " + number(best->val_loss) + " after epoch " + std::to_string(best->epoch) +
                    " (" + std::to_string(log.validations.size()) + " validations)");
  }
  return lines;
}

void headline(ReportDocument& doc, const ReportContent& c) {
  doc.heading("Headline");
  if (c.eval && !c.eval->methods.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const MethodMetrics& m : c.eval->methods)
      rows.push_back({m.method, format_metric(m.mean.get("image_auroc")), format_metric(m.mean.get("pixel_auroc")),
                      format_metric(m.mean.get("aupro")), std::to_string(m.rows.size())});
    doc.table({"method", "mean image AUROC", "mean pixel AUROC", "mean AUPRO", "classes"}, rows, false);
  } else {
    doc.paragraph("No evaluation: run `uniad eval` to fill in the metrics.");
  }
  std::vector<std::string> lines = training_lines(*c.log);
  if (c.eval) {
    if (!c.eval->checkpoint.empty()) lines.push_back("evaluated checkpoint: " + c.eval->checkpoint);
    if (!c.eval->image_score.empty()) lines.push_back("image score: " + c.eval->image_score);
    if (c.eval->has_threshold)
      lines.push_back("threshold: " + number(c.eval->threshold) +
                      (c.eval->threshold_rule.empty() ? "" : " (" + c.eval->threshold_rule + ")"));
    if (c.eval->seconds >= 0) lines.push_back("evaluation time: " + duration(c.eval->seconds));
  }
  doc.bullets(lines);
}

}  // namespace

ReportDocument build_report_document(const ReportContent& c) {
  ReportDocument doc;
  doc.title = "Run report: " + c.run_dir;
  headline(doc, c);
  if (c.eval && !c.eval->methods.empty()) {
    doc.heading("Per-class metrics");
    for (const MethodMetrics& m : c.eval->methods) {
      doc.heading(m.method, 3);
      metrics_table(doc, m, "class");
    }
  }
  if (c.eval && !c.eval->per_defect.empty()) {
    doc.heading("Per-defect metrics");
    doc.paragraph("Each row: the mean over classes of the metrics on that class's normal test images plus its "
                  "images of this defect kind.");
    for (const MethodMetrics& m : c.eval->per_defect) {
      doc.heading(m.method, 3);
      metrics_table(doc, m, "defect");
    }
  }
  if (!c.plots.empty()) {
    doc.heading("Plots");
    doc.images(c.plots, c.plots);
  }
  if (!c.heatmaps.empty()) {
    doc.heading("Heat maps");
    std::vector<std::string> paths;
    for (const std::string& h : c.heatmaps) paths.push_back("../eval/" + h);
    doc.images(paths, c.heatmaps);
  }
  if (!c.config_text.empty()) {
    doc.heading("Configuration");
    doc.code("config.json (resolved)", c.config_text);
  }
  doc.heading("Missing inputs");
  if (c.missing.empty()) doc.paragraph("None: every input was found.");
  else doc.bullets(c.missing);
  return doc;
}

}  // namespace uniad

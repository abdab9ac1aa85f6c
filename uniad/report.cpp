// `uniad report RUN_DIR`: read the run's log, configuration and evaluation, draw the plots and
// write one page (Markdown and HTML) that links them. Inputs: uniad/report.h.
#include "uniad/report.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tensor/error.h"
#include "tensor/text_file.h"
#include "uniad/metrics.h"
#include "uniad/plot.h"
#include "uniad/report_page.h"
#include "uniad/report_shortcut.h"

namespace uniad {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxHeatmaps = 12;

void write_text(const std::string& path, const std::string& text) { write_text_file_atomically(path, text); }

// ---- the training curves ----

// Step lines as fractional epochs: step i of n in epoch e sits at e + (i + 1) / n, so that the
// end of epoch e is at e + 1, where validation and test lines (counted in completed epochs) are.
std::vector<double> step_positions(const std::vector<LogStep>& steps) {
  std::map<int64_t, int64_t> per_epoch;
  for (const LogStep& s : steps) ++per_epoch[s.epoch];
  std::map<int64_t, int64_t> seen;
  std::vector<double> x;
  for (const LogStep& s : steps)
    x.push_back(double(s.epoch) + double(++seen[s.epoch]) / double(per_epoch[s.epoch]));
  return x;
}

// Mean training loss per epoch, at the epoch's end: {epoch + 1, mean}.
std::vector<std::pair<double, double>> epoch_means(const std::vector<LogStep>& steps) {
  std::map<int64_t, std::pair<double, int>> sums;
  for (const LogStep& s : steps) {
    sums[s.epoch].first += s.loss;
    ++sums[s.epoch].second;
  }
  std::vector<std::pair<double, double>> means;
  for (const auto& [epoch, sum] : sums) means.emplace_back(double(epoch + 1), sum.first / sum.second);
  return means;
}

void plot_training(const RunLog& log, const std::string& out_dir, std::vector<std::string>& plots) {
  const std::vector<double> x = step_positions(log.steps);
  LinePlot loss{"Training and validation loss", "epoch", "MSE loss (log scale)", {}, true};
  if (!log.steps.empty()) {
    LineSeries raw{"train loss per step", x, {}, true}, mean{"train loss, epoch mean", {}, {}};
    for (const LogStep& s : log.steps) raw.y.push_back(s.loss);
    for (const auto& [epoch, m] : epoch_means(log.steps)) {
      mean.x.push_back(epoch);
      mean.y.push_back(m);
    }
    loss.series = {raw, mean};
  }
  if (!log.validations.empty()) {
    LineSeries val{"validation loss", {}, {}};
    for (const LogValidation& v : log.validations) {
      val.x.push_back(double(v.epoch));
      val.y.push_back(v.val_loss);
    }
    loss.series.push_back(val);
  }
  if (!loss.series.empty()) {
    write_line_plot(out_dir + "/loss.png", loss);
    plots.push_back(out_dir + "/loss.png");
  }
  if (!log.steps.empty()) {
    LinePlot lr{"Learning rate", "epoch", "learning rate", {{"", x, {}}}};
    for (const LogStep& s : log.steps) lr.series[0].y.push_back(s.lr);
    write_line_plot(out_dir + "/lr.png", lr);
    plots.push_back(out_dir + "/lr.png");
  }
  if (!log.tests.empty()) {
    LinePlot test{"Test metrics during training", "epoch", "metric", {}};
    for (const auto& [key, title] : metric_columns()) {
      LineSeries s{title, {}, {}};
      for (const LogTest& t : log.tests)
        for (const auto& [k, v] : t.metrics)
          if (k == key) {
            s.x.push_back(double(t.epoch));
            s.y.push_back(v);
          }
      if (!s.x.empty()) test.series.push_back(s);
    }
    if (!test.series.empty()) {
      write_line_plot(out_dir + "/test_metrics.png", test);
      plots.push_back(out_dir + "/test_metrics.png");
    }
  }
  for (const std::string& path : write_shortcut_plots(log, out_dir)) plots.push_back(path);
}

// ---- the evaluation ----

// Bars from y_min to the value: zoom in on the top of [0, 1] where the values are close.
double bar_floor(const std::vector<BarSeries>& series) {
  double lo = 1;
  for (const BarSeries& s : series)
    for (double v : s.values)
      if (std::isfinite(v)) lo = std::min(lo, v);
  return std::clamp(std::floor((lo - 0.05) * 10) / 10, 0.0, 0.9);
}

// One bar per method and row of `methods`, value `key`; false when no value is finite.
bool per_class_bars(const std::vector<MethodMetrics>& methods, const std::string& key, BarPlot& plot) {
  for (const MetricRow& row : methods.front().rows) plot.categories.push_back(row.name);
  bool any = false;
  for (const MethodMetrics& m : methods) {
    BarSeries s{m.method, {}};
    for (const std::string& name : plot.categories) {
      double v = NAN;
      for (const MetricRow& row : m.rows)
        if (row.name == name) v = row.get(key);
      any = any || std::isfinite(v);
      s.values.push_back(v);
    }
    plot.series.push_back(s);
  }
  plot.y_min = bar_floor(plot.series);
  return any && !plot.categories.empty();
}

void plot_evaluation(const EvalMetrics& eval, const std::string& out_dir, std::vector<std::string>& plots) {
  if (!eval.methods.empty()) {
    BarPlot image{"Image AUROC per class", "image AUROC", {}, {}};
    if (per_class_bars(eval.methods, "image_auroc", image)) {
      write_bar_plot(out_dir + "/per_class_image.png", image);
      plots.push_back(out_dir + "/per_class_image.png");
    }
    BarPlot pixel{"Pixel AUROC per class", "pixel AUROC", {}, {}};
    if (per_class_bars(eval.methods, "pixel_auroc", pixel)) {
      write_bar_plot(out_dir + "/per_class_pixel.png", pixel);
      plots.push_back(out_dir + "/per_class_pixel.png");
    }
  }
  if (!eval.per_defect.empty()) {
    const MethodMetrics& m = eval.per_defect.front();  // UniAD when present
    BarPlot defects{"AUROC per defect kind (" + m.method + ")", "AUROC", {}, {}};
    BarSeries image{"image AUROC", {}}, pixel{"pixel AUROC", {}};
    for (const MetricRow& row : m.rows) {
      defects.categories.push_back(row.name);
      image.values.push_back(row.get("image_auroc"));
      pixel.values.push_back(row.get("pixel_auroc"));
    }
    defects.series = {image};
    if (std::any_of(pixel.values.begin(), pixel.values.end(), [](double v) { return std::isfinite(v); }))
      defects.series.push_back(pixel);
    defects.y_min = bar_floor(defects.series);
    const bool any = std::any_of(image.values.begin(), image.values.end(), [](double v) { return std::isfinite(v); });
    if (!defects.categories.empty() && (any || defects.series.size() == 2)) {
      write_bar_plot(out_dir + "/per_defect.png", defects);
      plots.push_back(out_dir + "/per_defect.png");
    }
  }
}

}  // namespace

ReportSummary write_report(const std::string& run_dir) {
  UNIAD_CHECK(fs::is_directory(run_dir), "report: ", run_dir, " is not a directory");
  ReportSummary summary;
  const RunLog log = read_run_log(run_dir + "/log.jsonl");

  std::string config_text;
  if (fs::exists(run_dir + "/config.json")) {
    std::ifstream in(run_dir + "/config.json");
    std::stringstream ss;
    ss << in.rdbuf();
    config_text = ss.str();
    try {  // the resolved configuration, indented the same way whoever wrote it
      config_text = nlohmann::json::parse(config_text).dump(2);
    } catch (const nlohmann::json::parse_error&) {
    }
  } else {
    summary.missing.push_back("config.json");
  }

  const std::string eval_dir = run_dir + "/eval";
  EvalMetrics eval;
  const bool has_eval = fs::exists(eval_dir + "/metrics.json");
  if (has_eval) eval = read_eval_metrics(eval_dir + "/metrics.json");
  else summary.missing.push_back("eval/metrics.json");

  // Heat maps named by metrics.json, else whatever eval/heatmaps holds; an even sample of 12.
  std::vector<std::string> heatmaps;
  if (!eval.heatmaps.empty()) {
    for (const std::string& h : eval.heatmaps) {
      if (fs::exists(eval_dir + "/" + h)) heatmaps.push_back(h);
      else summary.missing.push_back("eval/" + h);
    }
  } else if (fs::is_directory(eval_dir + "/heatmaps")) {
    for (const auto& entry : fs::directory_iterator(eval_dir + "/heatmaps"))
      if (entry.path().extension() == ".png") heatmaps.push_back("heatmaps/" + entry.path().filename().string());
    std::sort(heatmaps.begin(), heatmaps.end());
  }
  if (heatmaps.empty() && eval.heatmaps.empty()) summary.missing.push_back("eval/heatmaps");
  if (heatmaps.size() > kMaxHeatmaps) {
    std::vector<std::string> sample;
    for (size_t i = 0; i < kMaxHeatmaps; ++i) sample.push_back(heatmaps[i * heatmaps.size() / kMaxHeatmaps]);
    heatmaps = sample;
  }

  const std::string out_dir = run_dir + "/report";
  fs::create_directories(out_dir);
  plot_training(log, out_dir, summary.plots);
  if (has_eval) plot_evaluation(eval, out_dir, summary.plots);

  ReportContent content{run_dir, &log, has_eval ? &eval : nullptr, config_text, {}, heatmaps, summary.missing};
  for (const std::string& p : summary.plots) content.plots.push_back(fs::path(p).filename().string());
  const ReportDocument doc = build_report_document(content);
  summary.markdown = out_dir + "/report.md";
  summary.html = out_dir + "/report.html";
  write_text(summary.markdown, render_markdown(doc));
  write_text(summary.html, render_html(doc));
  return summary;
}

}  // namespace uniad

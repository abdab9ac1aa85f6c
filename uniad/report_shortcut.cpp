#include "uniad/report_shortcut.h"

#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "tensor/error.h"
#include "uniad/plot.h"

namespace uniad {

namespace {

using Columns = std::vector<std::pair<std::string, std::string>>;  // key, legend title

// The errors of a shortcut line in legend order.
const Columns kErrorColumns = {
    {"normal_val", "normal validation"}, {"anomalous", "anomalous regions"},
    {"defect_normal", "normal regions of defective images"}, {"ood_gaussian", "OOD: Gaussian"},
    {"ood_shuffled", "OOD: shuffled tokens"}, {"ood_classes", "OOD: other classes"}};
// The summary numbers, on a linear axis.
const Columns kIndexColumns = {
    {"copy_index", "copy index (anomalous / normal validation)"}, {"image_auroc", "image AUROC"},
    {"pixel_auroc", "pixel AUROC"}};

// Value `key` of each line as a curve over epochs (lines without it are left out).
LineSeries curve(const std::vector<LogTest>& lines, const std::string& key, const std::string& label) {
  LineSeries s{label, {}, {}};
  for (const LogTest& t : lines)
    for (const auto& [k, v] : t.metrics)
      if (k == key) {
        s.x.push_back(double(t.epoch));
        s.y.push_back(v);
      }
  return s;
}

}  // namespace

std::vector<std::string> write_shortcut_plots(const RunLog& log, const std::string& out_dir) {
  std::vector<std::string> written;
  if (log.shortcuts.empty()) return written;
  auto draw = [&](LinePlot plot, const Columns& columns, const std::string& name) {
    for (const auto& [key, title] : columns) {
      LineSeries s = curve(log.shortcuts, key, title);
      if (!s.x.empty()) plot.series.push_back(s);
    }
    if (plot.series.empty()) return;
    write_line_plot(out_dir + "/" + name, plot);
    written.push_back(out_dir + "/" + name);
  };
  draw({"Identical-shortcut lab: reconstruction error per token", "epoch", "mean squared error (log scale)", {}, true},
       kErrorColumns, "shortcut.png");
  draw({"Identical-shortcut lab: copy index and test AUROC", "epoch", "index; AUROC", {}, false}, kIndexColumns,
       "shortcut_index.png");
  return written;
}

std::string run_network(const std::string& run_dir) {
  std::ifstream in(run_dir + "/config.json");
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.contains("model") || !j["model"].contains("network") || !j["model"]["network"].is_string())
    return "?";
  return j["model"]["network"].get<std::string>();
}

void write_shortcut_comparison(const std::vector<std::string>& run_dirs, const std::string& path,
                               const std::vector<std::string>& labels) {
  UNIAD_CHECK(!run_dirs.empty(), "shortcut comparison: no run folders given");
  UNIAD_CHECK(labels.empty() || labels.size() == run_dirs.size(), "shortcut comparison: ", labels.size(),
              " labels for ", run_dirs.size(), " runs");
  std::map<std::string, int> uses;
  for (const std::string& dir : run_dirs) ++uses[run_network(dir)];
  LinePlot plot{"Copy index per run (anomalous / normal validation error)", "epoch",
                "copy index (1: copies anomalies)", {}, false};
  for (size_t i = 0; i < run_dirs.size(); ++i) {
    const std::string& dir = run_dirs[i];
    const RunLog log = read_run_log(dir + "/log.jsonl");
    UNIAD_CHECK(!log.shortcuts.empty(), dir, "/log.jsonl has no shortcut lines: train it with --set "
                "train.shortcut_every=N");
    std::string label = labels.empty() ? run_network(dir) : labels[i];
    if (labels.empty() && uses[label] > 1) {
      std::filesystem::path folder = std::filesystem::path(dir).lexically_normal();
      if (folder.filename().empty()) folder = folder.parent_path();  // "runs/mlp/"
      label += " (" + folder.filename().string() + ")";
    }
    plot.series.push_back(curve(log.shortcuts, "copy_index", label));
  }
  write_line_plot(path, plot);
}

}  // namespace uniad

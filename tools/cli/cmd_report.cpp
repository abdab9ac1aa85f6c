// uniad report RUN_DIR
//
// Draws the training curves and the evaluation's per-class and per-defect bars of one run and
// writes a one-page report (Markdown and HTML) beside them. The work is uniad/report.h's; this
// file only reads the argument and prints what was written.
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "tools/cli/commands.h"
#include "uniad/metrics.h"
#include "uniad/report.h"

namespace uniad::cli {

namespace {

// The mean-over-classes line of each method in RUN_DIR/eval/metrics.json, when there is one.
void print_headline(const std::string& run_dir) {
  std::ifstream in(run_dir + "/eval/metrics.json");
  if (!in.good()) return;
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.contains("methods")) return;
  auto metric = [](const nlohmann::json& mean, const char* key) {
    return mean.contains(key) && mean[key].is_number() ? format_metric(mean[key].get<double>()) : std::string("n/a");
  };
  std::printf("%-20s %11s %11s %8s   (mean over classes)\n", "method", "image AUROC", "pixel AUROC", "AUPRO");
  auto row = [&](const std::string& name) {
    const nlohmann::json& mean = j["methods"][name]["mean"];
    std::printf("%-20s %11s %11s %8s\n", name.c_str(), metric(mean, "image_auroc").c_str(),
                metric(mean, "pixel_auroc").c_str(), metric(mean, "aupro").c_str());
  };
  if (j["methods"].contains("uniad")) row("uniad");  // the model first, baselines after
  for (const auto& [name, report] : j["methods"].items())
    if (name != "uniad") row(name);
}

}  // namespace

void add_report(CLI::App& app) {
  auto run_dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Plot a training run and its evaluation and write a one-page report.\n"
      "Reads RUN_DIR/log.jsonl (required: training loss, learning rate, validation loss, tracked test metrics), "
      "and when present RUN_DIR/config.json, RUN_DIR/eval/metrics.json and RUN_DIR/eval/heatmaps/*.png "
      "(written by `uniad eval`). Missing optional inputs are named in the report, not errors.\n"
      "Writes RUN_DIR/report/: loss.png, lr.png, test_metrics.png (when the log tracked test metrics), "
      "shortcut.png and shortcut_index.png (when the log has identical-shortcut lab lines, train.shortcut_every), "
      "per_class_image.png, per_class_pixel.png, per_defect.png (with an evaluation), report.md and report.html "
      "(headline numbers, per-class and per-defect tables, the plots, up to 12 heat maps, the configuration).");
  cmd->add_option("RUN_DIR", *run_dir, "Run folder written by `uniad train`")->required()->check(CLI::ExistingDirectory);
  cmd->callback([run_dir] {
    const ReportSummary s = write_report(*run_dir);
    for (const std::string& plot : s.plots) std::printf("wrote %s\n", plot.c_str());
    std::printf("wrote %s\n", s.markdown.c_str());
    if (!s.missing.empty()) {
      std::printf("missing inputs (left out of the report):");
      for (const std::string& m : s.missing) std::printf(" %s", m.c_str());
      std::printf("\n");
    }
    print_headline(*run_dir);
    std::printf("report: %s\n", s.html.c_str());
  });
}

}  // namespace uniad::cli

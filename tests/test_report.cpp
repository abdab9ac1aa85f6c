// The run report on a fake run folder: plots and pages are written, the page carries the mean
// metrics as format_metric prints them, missing inputs are listed, and a broken log line is an
// error that names the file and line.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "data/image.h"
#include "test_util.h"
#include "uniad/metrics.h"
#include "uniad/report.h"
#include "uniad/report_inputs.h"

namespace uniad {
namespace {

using nlohmann::json;
using test::TempDir;

void write_file(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Three epochs of four steps, validation after each epoch, test metrics after epochs 2 and 3.
std::string fake_log() {
  std::ostringstream os;
  int step = 0;
  for (int epoch = 0; epoch < 3; ++epoch) {
    for (int i = 0; i < 4; ++i) {
      ++step;
      os << json{{"step", step}, {"epoch", epoch}, {"loss", 1.0 / step}, {"lr", 1e-3 * (1 - 0.2 * epoch)},
                 {"seconds", 0.5 * step}}.dump()
         << '\n';
    }
    os << json{{"epoch", epoch + 1}, {"val_loss", 0.5 / (epoch + 1)}, {"best", true}, {"seconds", 2.0 * (epoch + 1)}}
              .dump()
       << '\n';
    if (epoch > 0)
      os << json{{"epoch", epoch + 1}, {"seconds", 2.1 * (epoch + 1)},
                 {"test", {{"image_auroc", 0.8 + 0.05 * epoch}, {"pixel_auroc", 0.9}}}}
                .dump()
         << '\n';
  }
  return os.str();
}

json metric_row(const std::string& name, int images, double image_auroc, double pixel_auroc, double aupro) {
  json row = {{"name", name}, {"image_auroc", image_auroc}, {"image_ap", 0.9}, {"image_f1_max", 0.8},
              {"pixel_auroc", pixel_auroc}, {"pixel_ap", 0.4}, {"pixel_f1_max", nullptr}, {"aupro", aupro}};
  if (images >= 0) row["images"] = images;
  return row;
}

// Two methods over two classes; the means are deliberately not the row averages, so the test
// sees that the page copies the file's mean row.
json fake_metrics() {
  auto method = [](double shift) {
    return json{{"classes", {metric_row("canvas", 40, 0.91 - shift, 0.95, 0.81), metric_row("paper", 36, 0.87 - shift,
                                                                                           0.93, 0.77)}},
                {"mean", metric_row("mean", 76, 0.8912 - shift, 0.9417, 0.7931)},
                {"notes", {"pixel F1-max: undefined for canvas, paper"}}};
  };
  auto defects = [](double shift) {
    return json{{"classes", {metric_row("stain", -1, 0.95 - shift, 0.96, 0.8), metric_row("tear", -1, 0.83, 0.9, 0.7)}},
                {"mean", metric_row("mean", -1, 0.89, 0.93, 0.75)},
                {"notes", json::array()}};
  };
  return {{"checkpoint", "runs/fake/best.h5"},
          {"image_score", "max_avg_pool"},
          {"methods", {{"uniad", method(0)}, {"nearest_neighbour", method(0.1234)}}},
          {"per_defect", {{"uniad", defects(0)}, {"nearest_neighbour", defects(0.1)}}},
          {"threshold", {{"value", 1.234}, {"rule", "F1-max on the test set"}}},
          {"heatmaps", {"heatmaps/canvas_stain_000.png"}},
          {"seconds", 12.5}};
}

void make_run(const TempDir& run, bool with_eval) {
  write_file(run / "log.jsonl", fake_log());
  if (!with_eval) return;
  write_file(run / "config.json", R"({"train": {"epochs": 3, "lr": 0.001}, "model": {"hidden_dim": 64}})");
  write_file(run / "eval/metrics.json", fake_metrics().dump(2));
  data::Image heat = data::Image::zeros8(32, 64, 3, 40);
  for (int x = 0; x < 64; ++x) heat.at(16, x, 0) = 255;
  std::filesystem::create_directories(run.path / "eval/heatmaps");
  data::write_png(run / "eval/heatmaps/canvas_stain_000.png", heat);
}

TEST_CASE("write_report writes the plots and a page with the mean metrics of both methods") {
  TempDir run("report_full");
  make_run(run, true);
  const ReportSummary s = write_report(run.path.string());
  CHECK(s.missing.empty());
  CHECK(s.plots.size() == 6);  // loss, lr, test metrics, per-class image and pixel, per-defect
  for (const std::string& plot : s.plots) {
    const data::Image im = data::decode_image(plot);
    MESSAGE(plot, ": ", im.width, " x ", im.height);
    CHECK(im.width >= 900);
    CHECK(im.height >= 500);
  }
  REQUIRE(std::filesystem::exists(s.markdown));
  REQUIRE(std::filesystem::exists(s.html));
  const std::string md = read_file(s.markdown), html = read_file(s.html);
  for (const std::string& mean : {format_metric(0.8912), format_metric(0.8912 - 0.1234), format_metric(0.9417),
                                  format_metric(0.7931)}) {
    CHECK_MESSAGE(test::contains(md, mean), "report.md lacks ", mean);
    CHECK_MESSAGE(test::contains(html, mean), "report.html lacks ", mean);
  }
  // uniad comes first in the headline although "nearest_neighbour" sorts before it.
  CHECK(md.find("| uniad |") < md.find("| nearest_neighbour |"));
  CHECK(test::contains(md, "| stain |"));
  CHECK(test::contains(md, "![loss.png](loss.png)"));
  CHECK(test::contains(md, "(../eval/heatmaps/canvas_stain_000.png)"));
  CHECK(test::contains(md, "3 epochs, 12 steps"));
  CHECK(test::contains(md, "best validation loss: 0.1667 after epoch 3"));
  CHECK(test::contains(md, "\"hidden_dim\": 64"));
  CHECK(test::contains(html, "<details>"));
  CHECK(test::contains(html, "<td class=\"num\">0.8912</td>"));
  CHECK(test::contains(html, "src=\"../eval/heatmaps/canvas_stain_000.png\""));
  CHECK(!test::contains(md, "- eval/"));  // nothing listed as missing
}

TEST_CASE("write_report lists missing evaluation and configuration in the summary and the page") {
  TempDir run("report_missing");
  make_run(run, false);
  const ReportSummary s = write_report(run.path.string());
  const std::vector<std::string> expected = {"config.json", "eval/metrics.json", "eval/heatmaps"};
  CHECK(s.missing == expected);
  CHECK(s.plots.size() == 3);  // loss, lr, test metrics
  const std::string md = read_file(s.markdown);
  for (const std::string& m : expected) CHECK_MESSAGE(test::contains(md, "- " + m + "\n"), "page lacks ", m);
  CHECK(test::contains(md, "No evaluation"));
}

TEST_CASE("write_report errors name the log file and the malformed line") {
  TempDir run("report_errors");
  std::string msg = test::error_of([&] { write_report(run.path.string()); });
  CHECK(test::contains(msg, "log.jsonl"));

  std::string log = fake_log();
  const size_t third = log.find('\n', log.find('\n') + 1) + 1;
  write_file(run / "log.jsonl", log.substr(0, third) + "{\"step\": 3, \"epoch\": 0, \"loss\": \n" + log.substr(third));
  msg = test::error_of([&] { write_report(run.path.string()); });
  CHECK(test::contains(msg, "log.jsonl:3:"));

  write_file(run / "log.jsonl", log.substr(0, third) + "{\"step\": 3, \"epoch\": 0, \"lr\": 0.1, \"seconds\": 1}\n");
  msg = test::error_of([&] { write_report(run.path.string()); });
  CHECK(test::contains(msg, "log.jsonl:3: missing field \"loss\""));
}

TEST_CASE("read_run_log keeps the redone lines of a resumed run and adds up its sessions") {
  TempDir run("report_resume");
  // Session one trains steps 1..3 (to 3 s), crashes; session two redoes step 3 onwards from 0 s.
  std::string lines;
  for (int step = 1; step <= 3; ++step)
    lines += json{{"step", step}, {"epoch", 0}, {"loss", 10.0}, {"lr", 0.1}, {"seconds", 1.0 * step}}.dump() + "\n";
  for (int step = 3; step <= 4; ++step)
    lines += json{{"step", step}, {"epoch", 0}, {"loss", 1.0}, {"lr", 0.1}, {"seconds", 0.5 * (step - 2)}}.dump() + "\n";
  write_file(run / "log.jsonl", lines);
  const RunLog log = read_run_log(run / "log.jsonl");
  REQUIRE(log.steps.size() == 4);
  CHECK(log.steps[2].loss == 1.0);
  CHECK(log.resumes == 1);
  MESSAGE("total seconds ", log.seconds, " (expected 3 + 1)");
  CHECK(std::abs(log.seconds - 4.0) < 1e-12);
}

}  // namespace
}  // namespace uniad

#include "tools/cli/eval_outputs.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "tensor/error.h"
#include "tensor/text_file.h"
#include "uniad/heatmap.h"

namespace uniad::cli {

namespace fs = std::filesystem;

std::vector<std::string> write_heatmaps(const data::FeatureSplit& test, const ScoredSplit& scored, int64_t per_class,
                                        const std::string& out_dir) {
  std::vector<std::string> written;
  if (per_class <= 0) return written;
  fs::create_directories(out_dir + "/heatmaps");
  const HeatmapScale scale = heatmap_scale(scored.maps);
  const int64_t px = scored.size * scored.size;
  for (size_t cls = 0; cls < test.class_names.size(); ++cls) {
    // Defective images of distinct kinds first, then the first normal image.
    std::vector<int64_t> picks;
    std::vector<std::string> kinds_seen;
    for (size_t i = 0; i < test.labels.size() && int64_t(picks.size()) < per_class - 1; ++i)
      if (test.class_ids[i] == int(cls) && test.labels[i] == 1 &&
          std::find(kinds_seen.begin(), kinds_seen.end(), test.defects[i]) == kinds_seen.end()) {
        kinds_seen.push_back(test.defects[i]);
        picks.push_back(int64_t(i));
      }
    for (size_t i = 0; i < test.labels.size(); ++i)
      if (test.class_ids[i] == int(cls) && test.labels[i] == 0) {
        picks.push_back(int64_t(i));
        break;
      }
    for (int64_t i : picks) {
      const data::Image rgb = load_rgb_resized(test.paths[i], int(scored.size));
      const std::span<const uint8_t> mask(test.masks.data() + i * px, size_t(px));
      const std::span<const float> map(scored.maps.data() + i * px, size_t(px));
      const data::Image composite = heatmap_composite(rgb, mask, map, int(scored.size), scale.lo, scale.hi);
      const std::string name = "heatmaps/" + test.class_names[cls] + "_" + test.defects[i] + "_" +
                               fs::path(test.files[i]).stem().string() + ".png";
      data::write_png(out_dir + "/" + name, composite);
      written.push_back(name);
    }
  }
  return written;
}

namespace {

// The share of normal (label 0) and defective (label 1) test images at or above the threshold.
std::pair<double, double> rates_at(const data::FeatureSplit& test, const ScoredSplit& s, double threshold) {
  int64_t counts[2] = {0, 0}, flagged[2] = {0, 0};
  for (size_t i = 0; i < test.labels.size(); ++i) {
    ++counts[test.labels[i]];
    if (s.image_scores[i] >= threshold) ++flagged[test.labels[i]];
  }
  auto share = [](int64_t a, int64_t b) { return b ? double(a) / double(b) : kMetricUndefined; };
  return {share(flagged[0], counts[0]), share(flagged[1], counts[1])};
}

void write_text(const std::string& path, const std::string& text) { write_text_file_atomically(path, text); }

}  // namespace

void write_eval_outputs(const EvalResults& r, const data::FeatureSplit& test, const std::string& out_dir) {
  fs::create_directories(out_dir);
  nlohmann::json j;
  j["checkpoint"] = r.checkpoint;
  j["features"] = r.features;
  j["image_score"] = r.eval.image_score;
  j["pool"] = r.eval.pool;
  j["eval_size"] = r.size;
  for (const EvalMethod& m : r.methods) {
    j["methods"][m.name] = to_json(m.per_class);
    j["per_defect"][m.name] = to_json(m.per_defect);
  }
  const auto [fpr, tpr] = rates_at(test, r.methods.front().scored, r.threshold.value);
  j["threshold"] = to_json(r.threshold);
  j["threshold"]["test_false_positive_rate"] = fpr;
  j["threshold"]["test_true_positive_rate"] = tpr;
  j["heatmaps"] = r.heatmaps;
  j["seconds"] = r.seconds;
  write_text(out_dir + "/metrics.json", j.dump(2) + "\n");

  std::string md = "# Evaluation of " + r.checkpoint + "\n\nFeatures: " + r.features + "; image score " +
                   r.eval.image_score + " (pool " + std::to_string(r.eval.pool) + "), maps at " +
                   std::to_string(r.size) + " px.\n";
  for (const EvalMethod& m : r.methods) {
    md += "\n## " + m.name + ": per class\n\n" + to_markdown(m.per_class);
    md += "\n## " + m.name + ": per defect kind (normal images + that kind, mean over classes)\n\n" +
          to_markdown(m.per_defect);
  }
  md += cat("\n## Decision threshold\n\n", r.threshold.value, ": the ", r.threshold.quantile,
            " quantile of the image scores of ", r.threshold.validation_images,
            " held-out normal validation images. On the test set it flags ", format_metric(fpr),
            " of normal and ", format_metric(tpr), " of defective images.\n");
  write_text(out_dir + "/metrics.md", md);
}

void print_eval_summary(const EvalResults& r, const data::FeatureSplit& test, const std::string& out_dir) {
  std::printf("evaluated %s on %zu test images (%zu classes)\n", r.checkpoint.c_str(), test.labels.size(),
              test.class_names.size());
  std::printf("  %-18s %11s %11s %8s\n", "mean over classes", "image AUROC", "pixel AUROC", "AUPRO");
  for (const EvalMethod& m : r.methods)
    std::printf("  %-18s %11s %11s %8s\n", m.name.c_str(), format_metric(m.per_class.mean.image.auroc).c_str(),
                format_metric(m.per_class.mean.pixel.auroc).c_str(), format_metric(m.per_class.mean.aupro).c_str());
  const EvalMethod& u = r.methods.front();
  std::printf("  per defect kind (uniad, image / pixel AUROC):");
  for (const ClassMetrics& k : u.per_defect.classes)
    std::printf(" %s %s/%s", k.name.c_str(), format_metric(k.image.auroc).c_str(), format_metric(k.pixel.auroc).c_str());
  const auto [fpr, tpr] = rates_at(test, u.scored, r.threshold.value);
  std::printf("\n  threshold %.4f (q%.3g of %lld validation images): flags %s of normal and %s of defective test "
              "images\n", r.threshold.value, r.threshold.quantile, (long long)r.threshold.validation_images,
              format_metric(fpr).c_str(), format_metric(tpr).c_str());
  std::printf("  wrote %s/metrics.json, metrics.md and %zu heat maps in %.1f s\n", out_dir.c_str(), r.heatmaps.size(),
              r.seconds);
}

}  // namespace uniad::cli

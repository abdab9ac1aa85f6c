// `uniad prepare textures`: builds the MVTec-style texture benchmark (data/texture_benchmark.h,
// docs/textures.md) with a progress bar on stderr and a plain-text summary on stdout.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <sstream>

#include "data/texture_benchmark.h"
#include "tensor/error.h"
#include "tools/cli/commands.h"

namespace uniad::cli {
namespace {

using Clock = std::chrono::steady_clock;

// "[=====>    ] 1234/3944 images  312.4/s  ETA 9s" on one line, redrawn at most 10 times a second
// on a terminal; elsewhere (a log file) one line per 10%.
class ProgressBar {
 public:
  explicit ProgressBar(const char* what) : what_(what), tty_(::isatty(2)), start_(Clock::now()) {}
  void update(size_t done, size_t total) {
    const auto now = Clock::now();
    const bool last = done == total;
    if (tty_ ? (!last && now - shown_ < std::chrono::milliseconds(100)) : (!last && done * 10 / total == decile_)) return;
    shown_ = now;
    decile_ = done * 10 / total;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double rate = secs > 0 ? done / secs : 0;
    const double eta = rate > 0 ? (total - done) / rate : 0;
    const int width = 30, filled = int(width * done / total);
    std::string bar(size_t(filled), '=');
    if (filled < width) bar += '>' + std::string(size_t(width - filled - 1), ' ');
    std::fprintf(stderr, "%s[%s] %zu/%zu %s  %.1f/s  %s %.0fs%s", tty_ ? "\r" : "", bar.c_str(), done, total, what_,
                 rate, last ? "took" : "ETA", last ? secs : eta, tty_ && !last ? "   " : "\n");
    std::fflush(stderr);
  }

 private:
  const char* what_;
  bool tty_;
  Clock::time_point start_, shown_{};
  size_t decile_ = 0;
};

std::vector<data::DefectKind> parse_kinds(const std::string& list) {
  std::vector<data::DefectKind> kinds;
  std::stringstream in(list);
  for (std::string name; std::getline(in, name, ',');)
    if (!name.empty()) kinds.push_back(data::parse_defect_kind(name));
  UNIAD_CHECK(!kinds.empty(), "textures: --kinds '", list, "' names no defect kind");
  return kinds;
}

void print_summary(const data::TextureBenchmarkReport& r, const data::TextureBenchmarkOptions& o, double seconds) {
  std::printf("\n%-22s %9s %5s %7s %6s %6s %7s\n", "class", "scan", "crop", "std", "train", "good", "defect");
  for (const data::TextureClassReport& c : r.classes) {
    int defects = 0;
    for (int n : c.defects) defects += n;
    const std::string scan = std::to_string(c.layout.width) + "x" + std::to_string(c.layout.height);
    std::printf("%-22s %9s %5d %7.1f %6zu %6zu %7d\n", c.name.c_str(), scan.c_str(), c.layout.side, c.local_std,
                c.train_crops.size(), c.test_crops.size() - defects, defects);
  }
  std::printf("\n%-14s %7s %14s %16s\n", "defect kind", "images", "mean change", "mean mask area");
  for (size_t k = 0; k < r.kinds.size(); ++k)
    std::printf("%-14s %7d %11.1f lv %13.0f px\n", data::defect_name(r.kinds[k]), r.kind_count[k], r.kind_visible[k],
                r.kind_area[k]);
  std::printf("\n%zu classes, %zu images (%zu train, %zu test good, %zu defective) + %zu masks, %.1f MB, %.1f s\n",
              r.classes.size(), r.images, r.classes.size() * size_t(o.train), r.classes.size() * size_t(o.test_good),
              r.masks, r.masks, r.bytes / 1e6, seconds);
  std::printf("written to %s (manifest.json lists sources, parameters and every defect)\n", o.out.c_str());
}

}  // namespace

void add_prepare_textures(CLI::App& parent) {
  auto opt = std::make_shared<data::TextureBenchmarkOptions>();
  auto kinds = std::make_shared<std::string>("stain,scratch,fold,hole,patch,color_shift,blur");
  auto transforms = std::make_shared<std::string>("flips");
  CLI::App* cmd = parent.add_subcommand(
      "textures", "Build the MVTec-style texture anomaly benchmark from tileable texture scans (docs/textures.md)");
  cmd->add_option("--source", opt->sources, "Folder of texture images, or one image; repeatable")
      ->capture_default_str();
  cmd->add_option("--out", opt->out, "Output folder (MVTec-AD layout); built in OUT.partial, then renamed")->required();
  cmd->add_option("--seed", opt->seed, "Random seed")->capture_default_str();
  cmd->add_option("--crop", opt->crop, "Side of every written image, px")->capture_default_str();
  cmd->add_option("--min-crop", opt->min_crop, "Smallest native crop side before magnifying (0: crop/2)")
      ->capture_default_str();
  cmd->add_option("--train", opt->train, "Training images per class")->capture_default_str();
  cmd->add_option("--test-good", opt->test_good, "Normal test images per class")->capture_default_str();
  cmd->add_option("--test-defect", opt->test_defect, "Defective test images per class, round-robin over --kinds")
      ->capture_default_str();
  cmd->add_option("--kinds", *kinds, "Comma-separated defect kinds")->capture_default_str();
  cmd->add_option("--transforms", *transforms, "Crop flips/rotations: none, flips (4) or dihedral (8)")
      ->capture_default_str();
  cmd->add_option("--mask-threshold", opt->defects.mask_threshold, "Blend weights above this are drawn and masked")
      ->capture_default_str();
  cmd->add_option("--min-visible", opt->defects.min_visible, "Redraw a defect whose mean |delta RGB| in its mask is below this")
      ->capture_default_str();
  cmd->add_option("--max-attempts", opt->defects.max_attempts, "Draws per defect before giving up")->capture_default_str();
  cmd->add_option("--threads", opt->threads, "Threads (0: all); the output does not depend on it")->capture_default_str();
  cmd->add_flag("--force", opt->force, "Replace OUT if it is an earlier benchmark (or empty)");
  cmd->callback([opt, kinds, transforms] {
    opt->kinds = parse_kinds(*kinds);
    opt->transforms = data::parse_crop_transforms(*transforms);
    ProgressBar bar("images");
    opt->progress = [&bar](size_t done, size_t total) { bar.update(done, total); };
    const auto start = Clock::now();
    const data::TextureBenchmarkReport report = data::build_texture_benchmark(*opt);
    print_summary(report, *opt, std::chrono::duration<double>(Clock::now() - start).count());
  });
}

}  // namespace uniad::cli

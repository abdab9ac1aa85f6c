// uniad ablate --suite NAME|all [--benchmark textures|fashion-mnist] [--preset cpu|full]
//              [--seeds 0,1] [--variants a,b] [--datasets x,y] [--set key=value ...] [--out DIR]
//              [--dry-run] [--list]
//
// Runs one of the paper's ablations (experiments/ablation_suites.h) on a benchmark preset
// (experiments/ablation_benchmarks.h): every variant x seed x dataset is trained from scratch
// and evaluated, then OUT/table.md, table.csv and results.csv are rewritten. Suites that record
// the identical-shortcut lab also get OUT/shortcut_<dataset>.png and per-run curves. A finished
// cell is never run twice, so the same command continues an interrupted suite.
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "experiments/ablation_table.h"
#include "tensor/error.h"
#include "tensor/text_file.h"
#include "tools/cli/commands.h"
#include "tools/cli/device_options.h"
#include "tools/cli/progress.h"
#include "uniad/metrics.h"
#include "uniad/model_flops.h"
#include "uniad/report_inputs.h"
#include "uniad/report_shortcut.h"

namespace uniad::cli {

namespace {

struct AblateOptions {
  std::string suite, benchmark = "textures", preset = "cpu", out;
  std::vector<uint64_t> seeds;
  std::vector<std::string> variants, datasets, overrides;
  double gpu_tflops = 20;
  bool dry_run = false, list = false;
  std::string command;  // as typed, for the table
};

void list_suites() {
  for (const AblationSuite& s : ablation_suites()) {
    std::printf("suite %s: %s\n", s.name.c_str(), s.question.c_str());
    for (const AblationVariant& v : s.variants)
      std::printf("  %-12s%s %s\n", v.name.c_str(), v.name == s.baseline ? "*" : " ", v.what.c_str());
  }
  std::printf("(* the paper's choice)\n\n");
  for (const AblationBenchmark& b : ablation_benchmarks()) {
    std::printf("benchmark %s (%s): %s\n", b.name.c_str(), b.run_config.c_str(), b.about.c_str());
    for (const AblationPreset& p : b.presets)
      std::printf("  preset %-5s %s; %zu dataset(s)\n", p.name.c_str(), p.about.c_str(), p.datasets.size());
  }
}

// FLOPs of a cell's training and test scoring, from the model size and the preset's image counts.
double cell_flops(const AblationCell& c) {
  const ModelFlops per_image = model_flops(c.config.model, 1);
  const double epochs = static_cast<double>(c.config.train.epochs);
  return per_image.train * epochs * static_cast<double>(c.dataset->train_images) +
         per_image.forward * static_cast<double>(c.dataset->test_images);
}

void print_plan(const AblationPlan& plan, const AblateOptions& o) {
  double flops = 0;
  int done = 0;
  for (const AblationCell& c : plan.cells) {
    flops += cell_flops(c);
    done += read_ablation_result(c.run_dir).has_value();
  }
  std::set<std::string> datasets;
  std::set<uint64_t> seeds;
  for (const AblationCell& c : plan.cells) datasets.insert(c.dataset->name), seeds.insert(c.seed);
  std::printf("%s suite on %s, %s preset: %zu runs (%zu variants x %zu seeds x %zu datasets), %d done already\n",
              plan.suite->name.c_str(), plan.benchmark->name.c_str(), plan.preset->name.c_str(), plan.cells.size(),
              plan.cells.size() / seeds.size() / datasets.size(), seeds.size(), datasets.size(), done);
  std::printf("  %s\n", plan.preset->about.c_str());
  std::printf("  %.3g PFLOP of training and scoring: about %s on a GPU sustaining %.0f TFLOP/s (--gpu-tflops; an "
              "estimate from the model's matrix products, see docs/ablations.md)\n",
              flops / 1e15, format_duration(flops / (o.gpu_tflops * 1e12)).c_str(), o.gpu_tflops);
  std::printf("  output: %s\n", plan.out_dir.c_str());
}

// Builds each dataset's feature cache when it is missing (the Fashion-MNIST subsets).
void ensure_caches(const AblationPlan& plan) {
  std::set<std::string> seen;
  for (const AblationCell& c : plan.cells) {
    const std::string& cache = c.config.data.features;
    if (!seen.insert(cache).second || std::filesystem::exists(cache)) continue;
    std::fprintf(stderr, "feature cache %s is missing: building it from %s\n", cache.c_str(),
                 c.dataset->features_config.c_str());
    FeaturesOptions f;
    f.config = c.dataset->features_config;
    f.overrides = c.dataset->features_overrides;
    f.out = cache;
    run_features(f);
  }
}

void write_outputs(const AblationPlan& plan, const std::vector<AblationResult>& results, const std::string& command) {
  const std::vector<AblationRow> rows = summarize_ablation(plan, results);
  std::filesystem::create_directories(plan.out_dir);
  write_text_file_atomically(plan.out_dir + "/table.md", ablation_markdown(plan, rows, command));
  write_text_file_atomically(plan.out_dir + "/table.csv", ablation_table_csv(plan, rows));
  write_text_file_atomically(plan.out_dir + "/results.csv", ablation_results_csv(results));
}

// The lab's pictures: per dataset, the copy index of every variant that records the lab (first
// seed), and each of those runs' own curves in its folder. Nothing when no variant records it.
void write_lab_plots(const AblationPlan& plan) {
  std::vector<std::string> datasets;
  for (const AblationCell& c : plan.cells)
    if (std::find(datasets.begin(), datasets.end(), c.dataset->name) == datasets.end())
      datasets.push_back(c.dataset->name);
  for (const std::string& d : datasets) {
    std::vector<std::string> dirs, labels;
    for (const AblationCell& c : plan.cells) {
      if (c.dataset->name != d || c.seed != plan.cells.front().seed || c.config.train.shortcut_every <= 0) continue;
      const std::string log = c.run_dir + "/log.jsonl";
      if (!std::filesystem::exists(log)) continue;  // a reused result: its curves are in the other suite
      try {
        write_shortcut_plots(read_run_log(log), c.run_dir);
      } catch (const Error& e) {
        std::printf("  lab: no curves in %s: %s\n", c.run_dir.c_str(), e.what());
      }
      dirs.push_back(c.run_dir);
      labels.push_back(c.variant->name);
    }
    if (dirs.empty()) continue;
    const std::string path = plan.out_dir + "/shortcut_" + d + ".png";
    try {  // the runs and their tables are complete: a picture that cannot be drawn is a note
      write_shortcut_comparison(dirs, path, labels);
      std::printf("  lab: %s\n", path.c_str());
    } catch (const Error& e) {
      std::printf("  lab: no picture for %s: %s\n", d.c_str(), e.what());
    }
  }
}

void run_suite(const AblationSuite& suite, const AblateOptions& o) {
  const AblationBenchmark& benchmark = find_ablation_benchmark(o.benchmark);
  const AblationPreset& preset = find_ablation_preset(benchmark, o.preset);
  const std::string out = o.out.empty() ? "runs/ablate/" + benchmark.name + "/" + suite.name
                                        : (o.suite == "all" ? o.out + "/" + suite.name : o.out);
  const AblationPlan plan = plan_ablation(suite, benchmark, preset, out, {o.seeds, o.variants, o.datasets, o.overrides});
  print_plan(plan, o);
  if (o.dry_run) return;
  ensure_caches(plan);
  // Baselines trained by another suite of this benchmark are found beside this one (the default
  // layout, or --suite all with --out); a lone --out folder is searched alone.
  const bool shared_parent = o.out.empty() || o.suite == "all";
  const std::string reuse_root = shared_parent ? std::filesystem::path(out).lexically_normal().parent_path().string() : out;

  std::vector<AblationResult> results;
  for (size_t i = 0; i < plan.cells.size(); ++i) {
    const AblationCell& cell = plan.cells[i];
    char name[160];
    std::snprintf(name, sizeof name, "[%zu/%zu] %s %s seed %llu", i + 1, plan.cells.size(), cell.dataset->name.c_str(),
                  cell.variant->name.c_str(), (unsigned long long)cell.seed);
    if (cell.config.train.threads > 0) omp_set_num_threads(static_cast<int>(cell.config.train.threads));
    std::optional<AblationResult> r = read_ablation_result(cell.run_dir);
    if (!r) {
      if (const std::optional<std::string> same = find_equivalent_run(cell, reuse_root)) {
        r = reuse_ablation_result(cell, *same);
        std::printf("%-44s the same configuration as %s: its result is reused\n", name, same->c_str());
      }
    }
    if (!r) {
      ProgressBar bar(name, "step");
      r = run_ablation_cell(cell, [&](const StepReport& s, int64_t model, int64_t models) {
        char detail[96];
        if (models > 1)
          std::snprintf(detail, sizeof detail, "model %lld/%lld  epoch %lld/%lld  loss %.4f", (long long)model + 1,
                        (long long)models, (long long)s.epoch + 1, (long long)s.epochs, s.loss);
        else
          std::snprintf(detail, sizeof detail, "epoch %lld/%lld  loss %.4f", (long long)s.epoch + 1,
                        (long long)s.epochs, s.loss);
        bar.set_detail(detail);
        const int64_t steps = s.epochs * s.steps_per_epoch;
        bar.update(model * steps + s.step, models * steps);
      });
      bar.finish();
    }
    std::printf("%-44s image AUROC %s  pixel AUROC %s  (%s)\n", name, format_metric(r->image_auroc).c_str(),
                format_metric(r->pixel_auroc).c_str(), format_duration(r->train_seconds).c_str());
    std::fflush(stdout);
    results.push_back(*r);
    write_outputs(plan, results, o.command);
  }
  write_lab_plots(plan);
  std::printf("\n%s\nwrote %s/table.md, table.csv, results.csv\n\n",
              ablation_markdown(plan, summarize_ablation(plan, results), o.command).c_str(), plan.out_dir.c_str());
}

std::string command_line(int argc, const char* const* argv) {
  std::string s = "build/uniad";
  for (int i = 1; i < argc; ++i) s += std::string(" ") + argv[i];
  return s;
}

}  // namespace

void add_ablate(CLI::App& app, int argc, const char* const* argv) {
  auto o = std::make_shared<AblateOptions>();
  o->command = command_line(argc, argv);
  CLI::App* cmd = app.add_subcommand(
      "ablate",
      "Run one of the paper's ablations: every variant of a suite, over seeds and datasets, trained from scratch "
      "and evaluated; writes OUT/table.md (mean and spread), table.csv, results.csv and one folder per run. "
      "An interrupted suite continues where it stopped. --list shows the suites and presets (docs/ablations.md).");
  cmd->add_option("--suite", o->suite, "network | mask | jitter | unified | all");
  cmd->add_option("--benchmark", o->benchmark, "textures (default) | fashion-mnist");
  cmd->add_option("--preset", o->preset, "cpu (default: minutes per suite) | full (the paper's schedule, for a GPU)");
  cmd->add_option("--seeds", o->seeds, "Seeds to run (default: the preset's), e.g. --seeds 0,1,2")->delimiter(',');
  cmd->add_option("--variants", o->variants, "Only these variants, e.g. --variants mlp,uniad")->delimiter(',');
  cmd->add_option("--datasets", o->datasets, "Only these datasets, e.g. --datasets fmnist-01234")->delimiter(',');
  add_device_options(cmd, o->overrides);
  cmd->add_option("--set", o->overrides, "Override a key of every run: section.key=value (repeatable)");
  cmd->add_option("--out", o->out, "Output folder (default: runs/ablate/<benchmark>/<suite>)");
  cmd->add_option("--gpu-tflops", o->gpu_tflops, "Sustained GPU rate for the time estimate (default 20)");
  cmd->add_flag("--dry-run", o->dry_run, "Print the plan and the time estimate, run nothing");
  cmd->add_flag("--list", o->list, "List the suites, their variants and the benchmark presets");
  cmd->callback([o] {
    if (o->list) return list_suites();
    UNIAD_CHECK(!o->suite.empty(), "--suite is required (or --list)");
    if (o->suite == "all") {
      for (const AblationSuite& s : ablation_suites()) run_suite(s, *o);
    } else {
      run_suite(find_ablation_suite(o->suite), *o);
    }
  });
}

}  // namespace uniad::cli

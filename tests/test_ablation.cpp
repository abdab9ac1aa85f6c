// The ablation suites (experiments/): every variant's overrides land in the configuration they
// name, the tables average and spread as documented, and a baseline trained by one suite is
// found by another instead of being trained again.
#include <cmath>
#include <filesystem>
#include <fstream>

#include "experiments/ablation_table.h"
#include "test_util.h"

using namespace uniad;
namespace fs = std::filesystem;

namespace {

// Runs the body with the repository root as the working directory (configs/ are relative to it).
struct AtRepositoryRoot {
  fs::path before = fs::current_path();
  AtRepositoryRoot() { fs::current_path(fs::path(UNIAD_FIXTURE_DIR).parent_path().parent_path()); }
  ~AtRepositoryRoot() { fs::current_path(before); }
};

const AblationCell& cell_of(const AblationPlan& plan, const std::string& variant) {
  for (const AblationCell& c : plan.cells)
    if (c.variant->name == variant) return c;
  FAIL("no cell for variant ", variant);
  return plan.cells.front();
}

AblationResult result(const std::string& dataset, const std::string& variant, uint64_t seed, double image,
                      double pixel) {
  AblationResult r;
  r.dataset = dataset, r.variant = variant, r.seed = seed, r.image_auroc = image, r.pixel_auroc = pixel;
  r.train_seconds = 60;
  return r;
}

}  // namespace

TEST_CASE("ablation: every suite plans on every benchmark preset, each variant changing what it names") {
  AtRepositoryRoot root;
  for (const AblationBenchmark& b : ablation_benchmarks())
    for (const AblationPreset& p : b.presets)
      for (const AblationSuite& s : ablation_suites()) {
        const AblationPlan plan = plan_ablation(s, b, p, "out", {});
        CHECK(plan.cells.size() == s.variants.size() * p.seeds.size() * p.datasets.size());
      }
  const AblationBenchmark& tex = find_ablation_benchmark("textures");
  const AblationPreset& cpu = find_ablation_preset(tex, "cpu");
  const AblationPlan mask = plan_ablation(find_ablation_suite("mask"), tex, cpu, "out", {{7}, {}, {}, {}});
  CHECK(cell_of(mask, "none").config.model.mask_encoder == false);
  CHECK(cell_of(mask, "decoder1").config.model.mask_decoder1 == true);
  CHECK(cell_of(mask, "decoder1").config.model.mask_decoder2 == false);
  CHECK(cell_of(mask, "window5").config.model.mask_window == 5);
  CHECK(cell_of(mask, "all").config.train.seed == 7);
  CHECK(cell_of(mask, "all").config.model.hidden_dim == 64);  // the cpu preset
  CHECK(cell_of(mask, "all").run_dir == "out/runs/textures/all/seed7");
  const AblationPlan jitter = plan_ablation(find_ablation_suite("jitter"), tex, cpu, "out", {{}, {"off", "p0.5"}, {}, {}});
  REQUIRE(jitter.cells.size() == 4);
  CHECK(cell_of(jitter, "off").config.model.jitter_prob == 0.0);
  CHECK(cell_of(jitter, "p0.5").config.model.jitter_prob == 0.5);
  const AblationPlan network = plan_ablation(find_ablation_suite("network"), tex, cpu, "out", {});
  CHECK(cell_of(network, "cnn").config.model.network == NetworkKind::CNN);
  CHECK(cell_of(network, "cnn").config.train.shortcut_every == 1);  // the lab rides along
  CHECK(cell_of(mask, "none").config.train.shortcut_every == 1);    // remedy off: lab too
  CHECK(cell_of(mask, "all").config.train.shortcut_every == 0);
  const AblationBenchmark& fm = find_ablation_benchmark("fashion-mnist");
  const AblationPlan unified =
      plan_ablation(find_ablation_suite("unified"), fm, find_ablation_preset(fm, "cpu"), "o", {});
  CHECK(unified.cells.size() == 8);
  CHECK(unified.cells.front().config.data.features.find("fashion_mnist_01234_cpu") != std::string::npos);
  CHECK(unified.cells.front().config.eval.image_score == "mean");

  CHECK(test::contains(test::error_of([&] { find_ablation_suite("masks"); }), "choose network, mask, jitter, unified, or all"));
  CHECK(test::contains(test::error_of([&] { plan_ablation(find_ablation_suite("mask"), tex, cpu, "o", {{}, {"window7"}, {}, {}}); }),
                 "--variants: no 'window7'"));
  CHECK(test::contains(test::error_of([&] {
                   plan_ablation(find_ablation_suite("mask"), tex, cpu, "o", {{}, {}, {}, {"model.mask_windw=3"}});
                 }),
                 "mask suite, textures / none / seed 0"));
}

TEST_CASE("ablation: tables average each seed over datasets, then take mean and spread over seeds") {
  AtRepositoryRoot root;
  const AblationBenchmark& fm = find_ablation_benchmark("fashion-mnist");
  const AblationSuite& suite = find_ablation_suite("unified");
  const AblationPlan two_seeds = plan_ablation(suite, fm, find_ablation_preset(fm, "cpu"), "o",
                                               {{0, 1}, {}, {"fmnist-01234", "fmnist-02468"}, {}});
  // unified: seed 0 -> (0.8 + 0.6) / 2 = 0.7, seed 1 -> (0.9 + 0.7) / 2 = 0.8: mean 0.75, sd 0.0707
  const std::vector<AblationResult> rs = {
      result("fmnist-01234", "unified", 0, 0.8, NAN), result("fmnist-02468", "unified", 0, 0.6, NAN),
      result("fmnist-01234", "unified", 1, 0.9, NAN), result("fmnist-02468", "unified", 1, 0.7, NAN),
      result("fmnist-01234", "per_class", 0, 0.5, NAN)};
  const std::vector<AblationRow> rows = summarize_ablation(two_seeds, rs);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].baseline);
  CHECK(rows[0].runs == 4);
  CHECK(rows[0].image_auroc.mean == doctest::Approx(0.75));
  CHECK(rows[0].image_auroc.spread == doctest::Approx(std::sqrt(0.005)));
  CHECK(std::isnan(rows[0].pixel_auroc.mean));
  REQUIRE(rows[0].image_auroc_per_dataset.size() == 2);
  CHECK(rows[0].image_auroc_per_dataset[0] == doctest::Approx(0.85));
  CHECK(rows[0].image_auroc_per_dataset[1] == doctest::Approx(0.65));
  CHECK(std::isnan(rows[1].image_auroc.spread));  // one value
  CHECK(spread_basis(two_seeds) == "seeds");
  const std::string md = ablation_markdown(two_seeds, rows, "build/uniad ablate --suite unified");
  CHECK(test::contains(md, "| **unified** |"));
  CHECK(test::contains(md, "0.7500 ± 0.0707"));
  CHECK(test::contains(md, "-0.2500"));  // per_class against the baseline
  CHECK(test::contains(md, "| fmnist-01234 | fmnist-02468 |"));
  CHECK_FALSE(test::contains(md, "pixel AUROC"));  // no pixel metrics anywhere
  CHECK(test::contains(ablation_results_csv(rs), "fmnist-01234,per_class,0,0.5,,,1,0,60,"));

  // One seed: the spread is over datasets.
  const AblationPlan one_seed = plan_ablation(suite, fm, find_ablation_preset(fm, "cpu"), "o",
                                              {{0}, {}, {"fmnist-01234", "fmnist-02468"}, {}});
  const std::vector<AblationRow> one = summarize_ablation(one_seed, {rs[0], rs[1]});
  CHECK(spread_basis(one_seed) == "datasets");
  CHECK(one[0].image_auroc.mean == doctest::Approx(0.7));
  CHECK(one[0].image_auroc.spread == doctest::Approx(std::sqrt(0.02)));
}

TEST_CASE("ablation: a baseline trained by one suite is reused by another, never across per-class") {
  AtRepositoryRoot root;
  test::TempDir dir("ablation_reuse");
  const AblationBenchmark& tex = find_ablation_benchmark("textures");
  const AblationPreset& cpu = find_ablation_preset(tex, "cpu");
  const AblationPlan network = plan_ablation(find_ablation_suite("network"), tex, cpu, dir / "network", {{0}, {}, {}, {}});
  const AblationPlan mask = plan_ablation(find_ablation_suite("mask"), tex, cpu, dir / "mask", {{0}, {}, {}, {}});
  const AblationPlan unified = plan_ablation(find_ablation_suite("unified"), tex, cpu, dir / "unified", {{0}, {}, {}, {}});
  // A finished network/uniad cell, as run_ablation_cell writes it (the lab on).
  const AblationCell& trained = cell_of(network, "uniad");
  fs::create_directories(trained.run_dir);
  nlohmann::json doc = {{"result", to_json(result("textures", "uniad", 0, 0.9, 0.8))},
                        {"config", to_json(trained.config)}};
  doc["result"]["per_class"] = false;
  std::ofstream(trained.run_dir + "/result.json") << doc.dump();

  const std::optional<std::string> found = find_equivalent_run(cell_of(mask, "all"), dir.path.string());
  REQUIRE(found.has_value());
  CHECK(fs::equivalent(*found, trained.run_dir));
  const AblationResult reused = reuse_ablation_result(cell_of(mask, "all"), *found);
  CHECK(reused.variant == "all");
  CHECK(reused.image_auroc == doctest::Approx(0.9));
  CHECK(read_ablation_result(cell_of(mask, "all").run_dir)->pixel_auroc == doctest::Approx(0.8));
  // Different configurations, or one model per class, are trained themselves.
  CHECK_FALSE(find_equivalent_run(cell_of(mask, "window5"), dir.path.string()).has_value());
  CHECK_FALSE(find_equivalent_run(cell_of(unified, "per_class"), dir.path.string()).has_value());
  CHECK(find_equivalent_run(cell_of(unified, "unified"), dir.path.string()).has_value());
}

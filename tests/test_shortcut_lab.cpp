// The identical-shortcut lab (uniad/shortcut_lab.h) on tiny synthetic splits: token regions
// from masks by hand, the OOD generators' statistics, the error means against a direct
// computation with a tiny model, a perfect copier (all errors 0, copy index undefined), the
// config key, and the plots of a fake log.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "autograd/variable.h"
#include "test_util.h"
#include "uniad/config_io.h"
#include "uniad/report.h"
#include "uniad/report_shortcut.h"
#include "uniad/scoring.h"
#include "uniad/shortcut_lab.h"

namespace uniad {
namespace {

using test::TempDir;

// C = 8 channels on a 4 x 4 grid, masks of 8 x 8 pixels (2 x 2 pixels per token).
constexpr int64_t kC = 8, kG = 4, kS = 8;

// Sets pixel (y, x) of mask `img` in masks [N, kS, kS].
void set_pixel(std::vector<uint8_t>& masks, int64_t img, int64_t y, int64_t x) { masks[size_t((img * kS + y) * kS + x)] = 1; }

// A test split of `n` images: even images normal, odd images defective with a defect covering
// token (0, 0) fully, 3/4 of token (1, 1) and 1/2 of token (2, 2); a different image per seed.
data::FeatureSplit tiny_test_split(int64_t n, uint64_t seed) {
  data::FeatureSplit s;
  s.split = "test";
  s.features = test::randn({n, kC, kG, kG}, seed, DType::Float32);  // [N, C, G, G]
  s.class_names = {"a", "b"};
  s.mask_size = kS;
  s.masks.assign(size_t(n * kS * kS), 0);
  for (int64_t i = 0; i < n; ++i) {
    s.labels.push_back(int(i % 2));
    s.class_ids.push_back(int((i / 2) % 2));
    s.defects.push_back(i % 2 ? "scratch" : "good");
    if (i % 2 == 0) continue;
    for (int64_t y : {0, 1})
      for (int64_t x : {0, 1}) set_pixel(s.masks, i, y, x);  // token (0, 0): 4 of 4
    for (auto [y, x] : {std::pair{2, 2}, {2, 3}, {3, 2}}) set_pixel(s.masks, i, y, x);  // (1, 1): 3 of 4
    for (auto [y, x] : {std::pair{4, 4}, {5, 4}}) set_pixel(s.masks, i, y, x);          // (2, 2): 2 of 4
  }
  return s;
}

ModelConfig tiny_model_config() {
  ModelConfig c;
  c.feature_channels = kC;
  c.grid_h = c.grid_w = kG;
  c.hidden_dim = 16;
  c.heads = 2;
  c.encoder_layers = c.decoder_layers = 1;
  c.ffn_dim = 16;
  c.mask_window = 3;
  c.dropout = 0;
  return c;
}

// Mean over channels of (model(f) - f)^2 per token, straight from the model: [N * L].
std::vector<double> direct_errors(const ReconstructionModel& model, const Tensor& f) {
  ag::NoGradGuard no_grad;
  const Tensor r = model.forward(f).data().contiguous();  // [N, C, G, G]
  const Tensor x = f.contiguous();
  const int64_t n = f.size(0), l = kG * kG;
  std::vector<double> out(size_t(n * l), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < kC; ++c)
      for (int64_t t = 0; t < l; ++t) {
        const double d = double(r.data<float>()[(i * kC + c) * l + t]) - x.data<float>()[(i * kC + c) * l + t];
        out[size_t(i * l + t)] += d * d / kC;
      }
  return out;
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / double(v.size());
}

// |a - b| relative to |b|, printed.
double rel_diff(const char* what, double a, double b) {
  const double d = std::abs(a - b) / std::max(std::abs(b), 1e-30);
  std::printf("[compare] %-48s %.6g vs %.6g, rel diff %.3e\n", what, a, b, d);
  return d;
}

TEST_CASE("shortcut lab: mask cells by area and token regions by hand") {
  const data::FeatureSplit s = tiny_test_split(2, 1);
  const std::vector<double> f = mask_cell_fractions(s.masks, kS, kG, kG);  // [2, 4, 4]
  const std::vector<TokenRegion> r = token_regions(s.labels, s.masks, kS, kG, kG);
  const int64_t l = kG * kG;
  double worst = 0;
  for (int64_t t = 0; t < l; ++t) {
    const double expected = t == 0 ? 1.0 : t == 5 ? 0.75 : t == 10 ? 0.5 : 0.0;  // tokens (0,0), (1,1), (2,2)
    worst = std::max({worst, std::abs(f[size_t(t)]), std::abs(f[size_t(l + t)] - expected)});
    CHECK(r[size_t(t)] == TokenRegion::NormalImage);
    const TokenRegion want = expected > 0.5 ? TokenRegion::Anomalous
                             : expected == 0 ? TokenRegion::DefectNormal : TokenRegion::Boundary;
    CHECK(r[size_t(l + t)] == want);
  }
  std::printf("[compare] mask cell fractions by hand                         max |diff| = %.3e\n", worst);
  CHECK(worst < 1e-12);
  // Without any defect pixel (one-class-vs-rest data) the anomalous image is anomalous throughout.
  const std::vector<uint8_t> no_masks(s.masks.size(), 0);
  const std::vector<TokenRegion> whole = token_regions(s.labels, no_masks, kS, kG, kG);
  for (int64_t t = 0; t < l; ++t) {
    CHECK(whole[size_t(t)] == TokenRegion::NormalImage);
    CHECK(whole[size_t(l + t)] == TokenRegion::Anomalous);
  }

  // 6 x 6 masks on a 4 x 4 grid: cells of 1.5 pixels. Pixel (1, 1) lies in four cells, a quarter
  // of it in each: 0.25 / 2.25 of every cell's area. Any mask keeps its area.
  std::vector<uint8_t> one(36, 0);
  one[1 * 6 + 1] = 1;
  const std::vector<double> g = mask_cell_fractions(one, 6, 4, 4);
  for (int64_t t : {0, 1, 4, 5}) CHECK(g[size_t(t)] == doctest::Approx(0.25 / 2.25).epsilon(1e-12));
  CHECK(g[2] == 0.0);
  std::vector<uint8_t> random(3 * 6 * 6);
  Generator gen(5);
  for (uint8_t& v : random) v = gen.uniform() < 0.3;
  const std::vector<double> h = mask_cell_fractions(random, 6, 4, 4);
  double area_diff = 0;
  for (int img = 0; img < 3; ++img) {
    double ones = 0, area = 0;
    for (int p = 0; p < 36; ++p) ones += random[size_t(img * 36 + p)];
    for (int t = 0; t < 16; ++t) area += h[size_t(img * 16 + t)] * 2.25;
    area_diff = std::max(area_diff, std::abs(ones - area));
  }
  std::printf("[compare] 6x6 masks on 4x4 cells: area kept                   max |diff| = %.3e\n", area_diff);
  CHECK(area_diff < 1e-9);
}

TEST_CASE("shortcut lab: Gaussian OOD features have the asked per-channel mean and std") {
  const std::vector<double> mean = {0, 1, -2, 3.5, 0.1, 10, -7, 2}, sd = {1, 0.5, 2, 0.1, 3, 1, 0.01, 4};
  Generator gen(3);
  const Tensor g = gaussian_features(mean, sd, 400, kG, kG, gen);  // [400, C, G, G]: 6400 draws a channel
  CHECK(g.shape() == Shape{400, kC, kG, kG});
  const auto [m, s] = channel_stats(g);
  double worst = 0;  // in units of the channel's std: the mean's standard error is 1/80
  for (size_t c = 0; c < mean.size(); ++c)
    worst = std::max({worst, std::abs(m[c] - mean[c]) / sd[c], std::abs(s[c] - sd[c]) / sd[c]});
  std::printf("[compare] Gaussian OOD mean and std per channel (in stds)     max |diff| = %.3e\n", worst);
  CHECK(worst < 0.05);

  // channel_stats against a hand count: channel 0 holds 1..16, channel 1 is constant.
  Tensor t = Tensor::zeros({1, 2, 4, 4});
  for (int i = 0; i < 16; ++i) {
    t.data<float>()[i] = float(i + 1);
    t.data<float>()[16 + i] = 3.f;
  }
  const auto [tm, ts] = channel_stats(t);
  CHECK(tm[0] == doctest::Approx(8.5));
  CHECK(ts[0] == doctest::Approx(std::sqrt((16.0 * 16.0 - 1) / 12)));  // population std of 1..16
  CHECK(tm[1] == doctest::Approx(3.0));
  CHECK(ts[1] == 0.0);
}

TEST_CASE("shortcut lab: shuffling permutes each image's tokens and is seeded") {
  const Tensor f = test::randn({5, kC, kG, kG}, 7, DType::Float32);
  Generator gen(11), again(11);
  std::vector<std::vector<int64_t>> perms;
  const Tensor s = shuffle_tokens(f, gen, &perms);
  CHECK(test::max_abs_diff(s, shuffle_tokens(f, again)) == 0.0);  // same seed, same output
  const int64_t l = kG * kG;
  REQUIRE(perms.size() == 5);
  double worst = 0;
  std::set<std::vector<int64_t>> distinct;
  for (int64_t i = 0; i < 5; ++i) {
    std::vector<int64_t> sorted = perms[size_t(i)];
    std::sort(sorted.begin(), sorted.end());
    for (int64_t t = 0; t < l; ++t) CHECK(sorted[size_t(t)] == t);  // a permutation of the tokens
    for (int64_t c = 0; c < kC; ++c)
      for (int64_t t = 0; t < l; ++t)
        worst = std::max(worst, double(std::abs(s.data<float>()[(i * kC + c) * l + t] -
                                                f.data<float>()[(i * kC + c) * l + perms[size_t(i)][size_t(t)]])));
    distinct.insert(perms[size_t(i)]);
  }
  std::printf("[compare] shuffled token = source token, every channel        max |diff| = %.3e\n", worst);
  CHECK(worst == 0.0);
  CHECK(distinct.size() == 5);  // each image its own permutation

  const std::vector<int64_t> rows = subsample_rows(100, 10, gen);
  CHECK(rows.size() == 10);
  CHECK(std::is_sorted(rows.begin(), rows.end()));
  CHECK(std::set<int64_t>(rows.begin(), rows.end()).size() == 10);
  CHECK(subsample_rows(4, 10, gen) == std::vector<int64_t>{0, 1, 2, 3});
}

TEST_CASE("shortcut lab: error means against a direct computation with a tiny model") {
  Generator gen(2);
  ReconstructionModel model(tiny_model_config(), gen);
  model.eval();
  const data::FeatureSplit test = tiny_test_split(6, 21);
  const Tensor train = test::randn({10, kC, kG, kG}, 22, DType::Float32);
  const Tensor val = test::randn({3, kC, kG, kG}, 23, DType::Float32);
  const Tensor others = test::randn({7, kC, kG, kG}, 24, DType::Float32);
  const ShortcutProbe probe = make_shortcut_probe(train, val, test, others, {9, 4});
  CHECK(probe.ood_gaussian.size(0) == 4);
  CHECK(probe.ood_shuffled.size(0) == 4);
  CHECK(probe.ood_classes.size(0) == 4);
  CHECK(probe.notes.empty());

  const MapFunction map = reconstruction_map(model);
  const std::vector<double> mine = token_errors(test.features, map, 4);  // batches of 4 and 2
  const std::vector<double> direct = direct_errors(model, test.features);
  double worst = 0;
  for (size_t i = 0; i < direct.size(); ++i) worst = std::max(worst, std::abs(mine[i] - direct[i]) / direct[i]);
  std::printf("[compare] token_errors vs direct per-token MSE (relative)      max |diff| = %.3e\n", worst);
  CHECK(worst < 1e-5);

  const ShortcutErrors e = measure_shortcut(probe, map, 4);
  const int64_t l = kG * kG;
  double anomalous = 0, clean = 0;
  for (int64_t i : {1, 3, 5}) {  // the defective images: tokens 0 and 5 anomalous, 10 boundary
    anomalous += direct[size_t(i * l + 0)] + direct[size_t(i * l + 5)];
    for (int64_t t = 0; t < l; ++t)
      if (t != 0 && t != 5 && t != 10) clean += direct[size_t(i * l + t)];
  }
  CHECK(e.anomalous_tokens == 6);
  CHECK(e.defect_normal_tokens == 3 * 13);
  double d = 0;
  d = std::max(d, rel_diff("anomalous regions", e.anomalous, anomalous / 6));
  d = std::max(d, rel_diff("normal regions of defective images", e.defect_normal, clean / 39));
  d = std::max(d, rel_diff("normal validation", e.normal_val, mean_of(direct_errors(model, val))));
  d = std::max(d, rel_diff("OOD Gaussian", e.ood_gaussian, mean_of(direct_errors(model, probe.ood_gaussian))));
  d = std::max(d, rel_diff("OOD shuffled", e.ood_shuffled, mean_of(direct_errors(model, probe.ood_shuffled))));
  d = std::max(d, rel_diff("OOD classes", e.ood_classes, mean_of(direct_errors(model, probe.ood_classes))));
  d = std::max(d, rel_diff("copy index", e.copy_index(), (anomalous / 6) / mean_of(direct_errors(model, val))));
  CHECK(d < 1e-5);

  // The training hook's path (errors recorded while scoring) gives the same numbers, plus AUROCs.
  EvalConfig eval;
  eval.pool = 4;
  eval.batch_size = 4;
  const nlohmann::json j = shortcut_epoch(probe, test, map, eval);
  std::printf("[shortcut] %s\n", j.dump().c_str());
  CHECK(j["anomalous"].get<double>() == doctest::Approx(e.anomalous).epsilon(1e-9));
  CHECK(j["ood_classes"].get<double>() == doctest::Approx(e.ood_classes).epsilon(1e-9));
  CHECK(j["copy_index"].get<double>() == doctest::Approx(e.copy_index()).epsilon(1e-9));
  // The AUROCs are evaluate_split's means (the pixel one computed without AUPRO).
  const ScoredSplit scored = score_features(test.features, map, test.mask_size, eval);
  const EvaluationReport full = evaluate_split(test, scored);
  double a = 0;
  a = std::max(a, rel_diff("image AUROC vs evaluate_split", j["image_auroc"].get<double>(), full.mean.image.auroc));
  a = std::max(a, rel_diff("pixel AUROC vs evaluate_split", j["pixel_auroc"].get<double>(), full.mean.pixel.auroc));
  a = std::max(a, rel_diff("mean_pixel_auroc vs evaluate_split", mean_pixel_auroc(test, scored), full.mean.pixel.auroc));
  CHECK(a < 1e-12);
}

TEST_CASE("shortcut lab: shuffling tokens leaves a token-wise MLP's error unchanged, not a transformer's") {
  const Tensor f = test::randn({3, kC, kG, kG}, 41, DType::Float32);
  Generator shuffle_gen(42);
  const Tensor shuffled = shuffle_tokens(f, shuffle_gen);
  double mlp_diff = 0, transformer_diff = 0;
  for (NetworkKind kind : {NetworkKind::MLP, NetworkKind::UniAD}) {
    ModelConfig c = tiny_model_config();
    c.network = kind;
    Generator gen(43);
    ReconstructionModel model(c, gen);
    model.eval();
    const double plain = mean_of(token_errors(f, reconstruction_map(model), 2));
    const double mixed = mean_of(token_errors(shuffled, reconstruction_map(model), 2));
    (kind == NetworkKind::MLP ? mlp_diff : transformer_diff) = std::abs(mixed - plain) / plain;
  }
  std::printf("[compare] MLP error, shuffled vs plain tokens (relative)       max |diff| = %.3e\n", mlp_diff);
  std::printf("[compare] UniAD error, shuffled vs plain tokens (relative)     diff = %.3e\n", transformer_diff);
  CHECK(mlp_diff < 1e-5);            // the same tokens in another order: the same errors
  CHECK(transformer_diff > 1e-3);   // positions and context matter
}

TEST_CASE("shortcut lab: a perfect copier has zero errors and no copy index") {
  const data::FeatureSplit test = tiny_test_split(4, 31);
  const Tensor train = test::randn({6, kC, kG, kG}, 32, DType::Float32);
  // No validation split and no other classes: the probe says what it substituted and skipped.
  const ShortcutProbe probe = make_shortcut_probe(train, Tensor(), test, Tensor(), {1, 3});
  CHECK(probe.normal_val.size(0) == 2);  // the normal test images
  REQUIRE(probe.notes.size() == 2);
  CHECK(test::contains(probe.notes[0], "normal test images"));
  CHECK(test::contains(probe.notes[1], "ood_classes skipped"));
  CHECK_FALSE(probe.ood_classes.defined());

  const MapFunction copier = [](const Tensor& f) { return anomaly_map(f, f); };  // reconstruction == input
  const ShortcutErrors e = measure_shortcut(probe, copier, 2);
  CHECK(e.normal_val == 0.0);
  CHECK(e.anomalous == 0.0);
  CHECK(e.defect_normal == 0.0);
  CHECK(e.ood_gaussian == 0.0);
  CHECK(e.ood_shuffled == 0.0);
  CHECK(std::isnan(e.ood_classes));
  CHECK(std::isnan(e.copy_index()));
  const nlohmann::json j = shortcut_json(e, 0.5, NAN);
  CHECK(j["copy_index"].is_null());
  CHECK(j["ood_classes"].is_null());
  CHECK(j["pixel_auroc"].is_null());
  CHECK(j["normal_val"].get<double>() == 0.0);
}

TEST_CASE("shortcut lab: train.shortcut_every is read, written and validated") {
  const RunConfig c = load_run_config("", {"train.shortcut_every=3"});
  CHECK(c.train.shortcut_every == 3);
  CHECK(to_json(c)["train"]["shortcut_every"] == 3);
  CHECK(load_run_config("", {}).train.shortcut_every == 0);
  const std::string msg = test::error_of([] { load_run_config("", {"train.shortcut_every=-1"}); });
  CHECK(test::contains(msg, "train.shortcut_every must be >= 0"));
  const std::string type = test::error_of([] { load_run_config("", {"train.shortcut_every=\"2\""}); });
  CHECK(test::contains(type, "train.shortcut_every"));
}

// A fake run: config.json naming the network, and a log of steps, validation and shortcut lines.
void fake_run(const std::string& dir, const std::string& network, double copy_slope) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/config.json") << "{\"model\": {\"network\": \"" << network << "\"}}\n";
  std::ofstream log(dir + "/log.jsonl");
  for (int e = 1; e <= 4; ++e) {
    log << "{\"step\": " << e << ", \"epoch\": " << e - 1 << ", \"loss\": " << 1.0 / e
        << ", \"lr\": 0.001, \"seconds\": " << e << "}\n";
    log << "{\"epoch\": " << e << ", \"val_loss\": " << 1.0 / e << ", \"best\": true, \"seconds\": " << e << "}\n";
    if (e % 2 == 0 || e == 4) {
      const double normal = 0.5 / e, anomalous = normal * (1 + copy_slope * e);
      log << "{\"epoch\": " << e << ", \"shortcut\": {\"normal_val\": " << normal << ", \"anomalous\": " << anomalous
          << ", \"defect_normal\": " << normal * 1.1 << ", \"ood_gaussian\": 2.0, \"ood_shuffled\": 1.5, "
          << "\"ood_classes\": null, \"copy_index\": " << anomalous / normal
          << ", \"image_auroc\": 0.8, \"pixel_auroc\": 0.9}}\n";
    }
  }
}

TEST_CASE("shortcut lab: report draws the shortcut plots and shortcut-plot overlays runs") {
  TempDir dir("shortcut_plots");
  fake_run(dir / "mlp", "mlp", 0.1);
  fake_run(dir / "uniad", "uniad", 1.0);
  fake_run(dir / "uniad2", "uniad", 2.0);

  const RunLog log = read_run_log(dir / "mlp/log.jsonl");
  REQUIRE(log.shortcuts.size() == 2);
  CHECK(log.shortcuts[1].epoch == 4);
  CHECK(log.validations.size() == 4);

  const ReportSummary s = write_report(dir / "mlp");
  for (const char* name : {"shortcut.png", "shortcut_index.png"}) {
    const std::string png = dir / ("mlp/report/" + std::string(name));
    CHECK(std::find(s.plots.begin(), s.plots.end(), png) != s.plots.end());
    REQUIRE(std::filesystem::exists(png));
    std::printf("[plot] %s %lld bytes\n", name, (long long)std::filesystem::file_size(png));
    CHECK(std::filesystem::file_size(png) > 0);
  }

  CHECK(run_network(dir / "mlp") == "mlp");
  CHECK(run_network(dir / "nowhere") == "?");
  const std::string compare = dir / "compare.png";
  write_shortcut_comparison({dir / "mlp", dir / "uniad", dir / "uniad2/"}, compare);
  REQUIRE(std::filesystem::exists(compare));
  std::printf("[plot] compare.png %lld bytes\n", (long long)std::filesystem::file_size(compare));
  CHECK(std::filesystem::file_size(compare) > 0);

  // A run without shortcut lines is named in the error; a log without them draws no shortcut plots.
  std::filesystem::create_directories(dir / "plain");
  std::ofstream(dir / "plain/log.jsonl") << "{\"step\": 1, \"epoch\": 0, \"loss\": 1, \"lr\": 0.1, \"seconds\": 1}\n";
  const std::string msg = test::error_of([&] { write_shortcut_comparison({dir / "plain"}, dir / "x.png"); });
  CHECK(test::contains(msg, "plain/log.jsonl has no shortcut lines"));
  write_report(dir / "plain");
  CHECK_FALSE(std::filesystem::exists(dir / "plain/report/shortcut.png"));
  CHECK_FALSE(std::filesystem::exists(dir / "plain/report/shortcut_index.png"));
}

}  // namespace
}  // namespace uniad

// Checkpoints and the trainer: round trips, atomic writes, clear errors, exact resume,
// validation on held-out normal data, and a NaN loss that stops training cleanly.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tensor/elementwise.h"
#include "test_util.h"
#include "uniad/trainer.h"

using namespace uniad;
namespace fs = std::filesystem;

namespace {
RunConfig tiny_run(int64_t epochs) {
  RunConfig c;
  ModelConfig& m = c.model;
  m.feature_channels = 8;
  m.grid_h = 4;
  m.grid_w = 4;
  m.hidden_dim = 16;
  m.heads = 2;
  m.encoder_layers = 1;
  m.decoder_layers = 2;
  m.ffn_dim = 24;
  m.mask_window = 3;
  c.train.epochs = epochs;
  c.train.batch_size = 4;
  c.train.lr = 1e-3;
  c.train.seed = 11;
  c.train.val_fraction = 0.2;
  return c;
}

std::string fresh_dir(const std::string& name) {
  const std::string dir = (fs::temp_directory_path() / ("uniad_test_" + name)).string();
  fs::remove_all(dir);
  return dir;
}

Tensor tiny_features() { return test::randn({20, 8, 4, 4}, 5, DType::Float32); }

// Largest difference over all parameters of two models.
double max_param_diff(const nn::Module& a, const nn::Module& b) {
  double m = 0;
  const auto pa = a.named_parameters(), pb = b.named_parameters();
  REQUIRE(pa.size() == pb.size());
  for (size_t i = 0; i < pa.size(); ++i) m = std::max(m, test::max_abs_diff(pa[i].second.data(), pb[i].second.data()));
  return m;
}
}  // namespace

TEST_CASE("checkpoint: round trip of weights, optimiser state, progress and config") {
  const std::string dir = fresh_dir("ckpt");
  Trainer trainer(tiny_run(2), dir);
  trainer.fit(tiny_features());
  REQUIRE(fs::exists(dir + "/last.h5"));
  REQUIRE(fs::exists(dir + "/best.h5"));
  REQUIRE(fs::exists(dir + "/config.json"));
  const CheckpointInfo info = read_checkpoint_info(dir + "/last.h5");
  CHECK(info.state.epoch == 2);
  CHECK(info.state.step == 2 * 4);  // 16 training images, batch 4
  CHECK(info.config.model.hidden_dim == 16);
  CHECK(info.code_version.rfind("0.1.0+", 0) == 0);

  Generator gen(999);
  ReconstructionModel other(info.config.model, gen);
  CHECK(max_param_diff(other, trainer.model()) > 0);
  load_checkpoint(dir + "/last.h5", other, nullptr);
  CHECK(max_param_diff(other, trainer.model()) == 0);
  // No temporary files are left behind.
  for (const auto& entry : fs::directory_iterator(dir)) CHECK(entry.path().string().find(".tmp.") == std::string::npos);
}

TEST_CASE("checkpoint: a mismatched model, a corrupt file and a missing file give clear errors") {
  const std::string dir = fresh_dir("ckpt_errors");
  Trainer trainer(tiny_run(1), dir);
  trainer.fit(tiny_features());
  RunConfig wider = tiny_run(1);
  wider.model.hidden_dim = 32;
  Generator gen(1);
  ReconstructionModel model(wider.model, gen);
  CHECK_THROWS_WITH_AS(load_checkpoint(dir + "/last.h5", model, nullptr), doctest::Contains("shape mismatch ("), Error);
  wider = tiny_run(1);
  wider.model.network = NetworkKind::Transformer;  // no learned queries
  ReconstructionModel no_query(wider.model, gen);
  CHECK_THROWS_WITH_AS(load_checkpoint(dir + "/last.h5", no_query, nullptr),
                       doctest::Contains("unexpected in the file (2):\n    decoder.layers.0.learned_embed.weight"), Error);
  {
    std::ofstream(dir + "/corrupt.h5") << "this is not an HDF5 file";
  }
  CHECK_THROWS_WITH_AS(read_checkpoint_info(dir + "/corrupt.h5"), doctest::Contains("corrupt.h5"), Error);
  // Truncated: the first half of a real checkpoint.
  const auto size = fs::file_size(dir + "/last.h5");
  fs::copy_file(dir + "/last.h5", dir + "/truncated.h5");
  fs::resize_file(dir + "/truncated.h5", size / 2);
  CHECK_THROWS_AS(load_checkpoint(dir + "/truncated.h5", trainer.model(), nullptr), Error);
  CHECK_THROWS_WITH_AS(read_checkpoint_info(dir + "/nope.h5"), doctest::Contains("nope.h5"), Error);
}

TEST_CASE("trainer: resume continues bit for bit (N epochs, save, M more == N + M straight)") {
  const Tensor features = tiny_features();
  Trainer straight(tiny_run(5), fresh_dir("straight"));
  const TrainResult a = straight.fit(features);

  const std::string dir = fresh_dir("resumed");
  Trainer first(tiny_run(2), dir);
  first.fit(features);
  Trainer second(tiny_run(5), dir);
  const TrainResult b = second.fit(features, dir + "/last.h5");
  CHECK(b.steps == a.steps);
  const double diff = max_param_diff(straight.model(), second.model());
  std::printf("[compare] resume after 2 of 5 epochs vs straight run: max |diff| = %.3e\n", diff);
  CHECK(diff == 0);
  CHECK(b.last_loss == a.last_loss);
}

TEST_CASE("trainer: the loss goes down, validation uses held-out normal features, the log is JSON lines") {
  const std::string dir = fresh_dir("learn");
  RunConfig c = tiny_run(6);
  c.model.dropout = 0;
  c.model.jitter_scale = 0;
  Trainer trainer(c, dir);
  const Tensor features = tiny_features();
  const double before = trainer.evaluate_loss(features, 4);
  const TrainResult r = trainer.fit(features);
  const double after = trainer.evaluate_loss(features, 4);
  std::printf("[train] tiny run: loss %.4f -> %.4f, best validation %.4f\n", before, after, r.best_val_loss);
  CHECK(after < 0.9 * before);
  CHECK(std::isfinite(r.best_val_loss));
  const Split s = validation_split(20, 0.2, 11);
  CHECK(s.val.size() == 4);
  CHECK(s.train.size() == 16);
  std::ifstream log(dir + "/log.jsonl");
  std::string line;
  int steps = 0, vals = 0;
  while (std::getline(log, line)) {
    const auto j = nlohmann::json::parse(line);
    steps += j.contains("loss");
    vals += j.contains("val_loss");
  }
  CHECK(steps == 6 * 4);
  CHECK(vals == 6);
}

TEST_CASE("trainer: a NaN loss stops with a message and leaves the last good checkpoint intact") {
  const std::string dir = fresh_dir("nan");
  Trainer trainer(tiny_run(1), dir);
  Tensor features = tiny_features();
  trainer.fit(features);
  const auto before = fs::last_write_time(dir + "/last.h5");
  Trainer again(tiny_run(3), dir);
  for (int64_t i = 0; i < features.size(0); ++i) features.set({i, 0, 0, 0}, NAN);  // every batch has one
  CHECK_THROWS_WITH_AS(again.fit(features, dir + "/last.h5"), doctest::Contains("the loss became nan"), Error);
  CHECK(fs::last_write_time(dir + "/last.h5") == before);
  CHECK(read_checkpoint_info(dir + "/last.h5").state.epoch == 1);
}

TEST_CASE("trainer: a time budget fits the cosine schedule's epochs and the hook sees every epoch") {
  RunConfig c = tiny_run(50);
  c.train.schedule = "cosine";
  c.train.max_minutes = 1e-7;  // far less than one epoch: the budget fits exactly one epoch
  const std::string dir = fresh_dir("budget");
  Trainer trainer(c, dir);
  std::vector<int64_t> seen;
  trainer.on_epoch = [&](int64_t epoch) {
    CHECK_FALSE(trainer.model().is_training());  // hooks run in eval mode
    seen.push_back(epoch);
  };
  const TrainResult r = trainer.fit(tiny_features());
  CHECK(r.budget_epochs == 1);
  CHECK(r.epochs_completed == 1);
  CHECK(trainer.config().train.epochs == 1);
  CHECK(seen == std::vector<int64_t>{1});
  std::ifstream config(dir + "/config.json");
  CHECK(nlohmann::json::parse(config)["train"]["epochs"] == 1);  // the fitted count is what resume sees
  // A generous budget keeps the configured epochs.
  RunConfig roomy = tiny_run(2);
  roomy.train.schedule = "cosine";
  roomy.train.max_minutes = 60;
  Trainer t2(roomy, fresh_dir("budget2"));
  CHECK(t2.fit(tiny_features()).epochs_completed == 2);
  CHECK(t2.config().train.epochs == 2);
  fs::remove_all(dir);
}

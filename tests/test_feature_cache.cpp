// The feature cache end to end with a fake backbone: an MVTec-layout folder -> cache -> read
// back equals the extractor run directly; labels, masks, names; class filter; the trainer reads
// the cached features. Resume, mismatches and damaged files are in test_feature_cache_resume.cpp.
#include <filesystem>

#include "data/dataset_source.h"
#include "data/feature_cache.h"
#include "tensor/hdf5_io.h"
#include "test_feature_cache_fakes.h"
#include "uniad/trainer.h"

using namespace uniad;
using test::contains;
using test::error_of;
using test::FakeExtractor;
using test::TempDir;
namespace fs = std::filesystem;

namespace {

// 6 train = 3 + 3, 5 test = 3 + 2: a short last batch.
data::FeatureCacheConfig tiny_config(const std::string& root) { return test::tiny_cache_config(root, 3); }

std::vector<int64_t> all_rows(size_t n) {
  std::vector<int64_t> rows(n);
  for (size_t i = 0; i < n; ++i) rows[i] = static_cast<int64_t>(i);
  return rows;
}

}  // namespace

TEST_CASE("dataset source: MVTec layout samples, RGB pixel / 255 at the input size, masks at the eval size") {
  TempDir dir("ds_mvtec");
  test::write_tiny_mvtec(dir / "data");
  const data::Dataset d = data::open_mvtec_dataset(dir / "data");
  CHECK(d.class_names == std::vector<std::string>{"alpha", "beta"});
  REQUIRE(d.train.size() == 6);
  REQUIRE(d.test.size() == 5);
  CHECK(d.train[3].class_name == "beta");
  CHECK(d.train[3].class_id == 1);
  CHECK(d.test[1].defect == "crack");
  CHECK(d.test[1].label == 1);
  CHECK(d.test[1].file_name == "001.png");
  CHECK(d.test[2].defect == "good");  // sorted by (class, defect, file): crack before good
  CHECK(d.description["classes"].size() == 2);

  // Pixels: a constant colour stays that colour / 255 in every channel after resizing.
  TempDir one("ds_pixels");
  data::Image solid = data::Image::zeros8(10, 14, 3);
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 14; ++x) {
      solid.at(y, x, 0) = 51;
      solid.at(y, x, 1) = 102;
      solid.at(y, x, 2) = 255;
    }
  data::write_png(one / "solid.png", solid);
  data::DataSample s;
  s.image_path = one / "solid.png";
  const Tensor im = data::load_sample_image(s, 16);  // [3, 16, 16]
  REQUIRE(im.shape() == Shape{3, 16, 16});
  test::check_close("solid colour channel 0", im.select(0, 0), Tensor::full({16, 16}, 0.2f), 1e-7);
  test::check_close("solid colour channel 2", im.select(0, 2), Tensor::full({16, 16}, 1.0f), 1e-7);
  // A grey image gives three equal channels.
  const Tensor grey = data::load_sample_image(d.train[4], 32);  // beta/train/good/001.png is grey
  test::check_close("grey replicated G", grey.select(0, 1), grey.select(0, 0), 0.0);
  test::check_close("grey replicated B", grey.select(0, 2), grey.select(0, 0), 0.0);

  // Masks: value 7 counts as defect; the top half of a 20-row mask is rows 0-7 of 16.
  const std::vector<uint8_t> m = data::load_sample_mask(d.test[1], 16);
  REQUIRE(m.size() == 256);
  for (int y = 0; y < 16; ++y) CHECK(m[y * 16 + 5] == (y < 8 ? 1 : 0));
  const std::vector<uint8_t> good = data::load_sample_mask(d.test[2], 16);
  CHECK(std::count(good.begin(), good.end(), 0) == 256);

  // A class subset, and errors naming the problem.
  CHECK(data::open_mvtec_dataset(dir / "data", {"beta"}).train.size() == 3);
  CHECK(contains(error_of([&] { data::open_mvtec_dataset(dir / "data", {"gamma"}); }), "gamma"));
  data::DataSample missing;
  missing.image_path = dir / "nope.png";
  CHECK(contains(error_of([&] { data::load_sample_image(missing, 32); }), "nope.png"));
}

TEST_CASE("feature cache: MVTec folder -> cache -> read back equals the extractor run directly") {
  TempDir dir("fc_roundtrip");
  test::write_tiny_mvtec(dir / "data");
  const data::FeatureCacheConfig config = tiny_config(dir / "data");
  const data::Dataset d = data::open_configured_dataset(config.data);
  FakeExtractor fake(32);
  std::vector<std::pair<int64_t, int64_t>> reports;
  data::FeatureCacheOptions options;
  options.progress = [&](int64_t done, int64_t total) { reports.push_back({done, total}); };
  const std::string out = dir / "cache/features.h5";  // the folder does not exist yet
  const data::FeatureCacheSummary s = data::build_feature_cache(config, d, fake, out, options);

  CHECK(s.train == 6);
  CHECK(s.test == 5);
  CHECK(s.channels == 6);
  CHECK(s.grid == 4);
  CHECK(s.extracted == 11);
  CHECK(s.resumed_from == 0);
  CHECK(s.file_bytes == static_cast<int64_t>(fs::file_size(out)));
  CHECK_FALSE(fs::exists(out + ".partial"));
  CHECK(fake.calls == 4);  // train 3 + 3, test 3 + 2
  REQUIRE(reports.size() == 5);
  CHECK(reports.front() == std::pair<int64_t, int64_t>{0, 11});
  CHECK(reports.back() == std::pair<int64_t, int64_t>{11, 11});

  FakeExtractor direct(32);
  const data::FeatureSplit train = data::read_feature_split(out, "train");
  test::check_close("cached train features vs direct",
                    train.features, direct.extract(data::load_image_batch(d.train, 0, 6, 32)), 0.0);
  CHECK(train.rows == all_rows(6));
  CHECK(train.labels == std::vector<int>(6, 0));
  CHECK(train.class_ids == std::vector<int>{0, 0, 0, 1, 1, 1});
  CHECK(train.class_names == std::vector<std::string>{"alpha", "beta"});
  CHECK(train.files == std::vector<std::string>{"000.png", "001.png", "002.png", "000.png", "001.png", "002.png"});
  CHECK(train.paths[4] == d.train[4].image_path);
  CHECK(train.masks.empty());
  CHECK(train.mask_size == 0);

  const data::FeatureSplit test_split = data::read_feature_split(out, "test");
  test::check_close("cached test features vs direct",
                    test_split.features, direct.extract(data::load_image_batch(d.test, 0, 5, 32)), 0.0);
  CHECK(test_split.labels == std::vector<int>{1, 1, 0, 0, 1});
  CHECK(test_split.defects == std::vector<std::string>{"crack", "crack", "good", "good", "hole"});
  CHECK(test_split.mask_size == 16);
  REQUIRE(test_split.masks.size() == 5 * 16 * 16);
  CHECK(test_split.masks == data::load_mask_batch(d.test, 0, 5, 16));
  auto defect_pixels = [&](int i) {
    return std::count(test_split.masks.begin() + i * 256, test_split.masks.begin() + (i + 1) * 256, 1);
  };
  CHECK(defect_pixels(0) == 8 * 16);  // top half
  CHECK(defect_pixels(2) == 0);
  CHECK(defect_pixels(4) == 8 * 16);

  // The header: provenance written as JSON.
  const data::FeatureCacheInfo info = data::read_feature_cache_info(out);
  CHECK(info.complete);
  CHECK(info.extractor["backbone"] == "fake");
  CHECK(info.config["data"]["input_size"] == 32);
  CHECK(info.data["kind"] == "mvtec");
  CHECK(info.preprocessing["eval_size"] == 16);
  CHECK(info.eval_size == 16);

  // A class filter keeps that class's rows in file order.
  const data::FeatureSplit beta = data::read_feature_split(out, "test", {"beta"});
  CHECK(beta.rows == std::vector<int64_t>{3, 4});
  CHECK(beta.labels == std::vector<int>{0, 1});
  test::check_close("class filter rows", beta.features, test_split.features.slice(0, 3, 5), 0.0);
  CHECK(std::vector<uint8_t>(beta.masks.begin(), beta.masks.end()) ==
        std::vector<uint8_t>(test_split.masks.begin() + 3 * 256, test_split.masks.end()));
  const std::string unknown = error_of([&] { data::read_feature_split(out, "train", {"gamma"}); });
  CHECK(contains(unknown, "gamma"));
  CHECK(contains(unknown, "alpha, beta"));
  CHECK(contains(error_of([&] { data::read_feature_split(out, "val"); }), "'val'"));
}

TEST_CASE("feature cache: the trainer fits one epoch on the cached train features") {
  TempDir dir("fc_trainer");
  test::write_tiny_mvtec(dir / "data");
  const data::FeatureCacheConfig config = tiny_config(dir / "data");
  FakeExtractor fake(32);
  const std::string out = dir / "features.h5";
  data::build_feature_cache(config, data::open_configured_dataset(config.data), fake, out);
  const data::FeatureSplit train = data::read_feature_split(out, "train");

  RunConfig rc;
  rc.model.feature_channels = train.features.size(1);  // 6
  rc.model.grid_h = rc.model.grid_w = train.features.size(2);  // 4
  rc.model.hidden_dim = 16;
  rc.model.heads = 2;
  rc.model.encoder_layers = 1;
  rc.model.decoder_layers = 1;
  rc.model.ffn_dim = 24;
  rc.model.mask_window = 3;
  rc.train.epochs = 1;
  rc.train.batch_size = 2;
  rc.train.lr = 1e-3;
  rc.train.val_fraction = 0.2;
  Trainer trainer(rc, dir / "run");
  const TrainResult r = trainer.fit(train.features);
  CHECK(r.epochs_completed == 1);
  CHECK(r.steps > 0);
  CHECK(std::isfinite(r.last_loss));
  CHECK(fs::exists(dir / "run/last.h5"));
}

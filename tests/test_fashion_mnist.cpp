// Fashion-MNIST in the unified protocol: `prepare fashion-mnist` on tiny IDX files made here
// (and on the real files when installed), the data-set view of each split, and a feature cache
// built from it with the fake backbone.
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "data/dataset_source.h"
#include "data/fashion_mnist.h"
#include "data/feature_cache.h"
#include "test_feature_cache_fakes.h"

using namespace uniad;
using test::contains;
using test::error_of;
using test::TempDir;
namespace fs = std::filesystem;

namespace {

void put_be32(std::string& s, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((v >> shift) & 0xff));
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
  gzclose(f);
}

// IDX files for n images of side x side: image i is uniform grey 10 * (i % 25); label = labels(i).
template <typename Label>
void write_idx_pair(const std::string& dir, const std::string& prefix, int n, int side, Label labels) {
  std::string images("\0\0\x08\x03", 4), label_bytes("\0\0\x08\x01", 4);
  put_be32(images, n);
  put_be32(images, side);
  put_be32(images, side);
  put_be32(label_bytes, n);
  for (int i = 0; i < n; ++i) {
    images.append(static_cast<size_t>(side) * side, static_cast<char>(10 * (i % 25)));
    label_bytes.push_back(static_cast<char>(labels(i)));
  }
  write_gz(dir + "/" + prefix + "-images-idx3-ubyte.gz", images);
  write_gz(dir + "/" + prefix + "-labels-idx1-ubyte.gz", label_bytes);
}

// 20 training images (2 per class) and 10 test images (1 per class, labels 9..0).
void write_tiny_fashion(const std::string& dir, int side = 28) {
  fs::create_directories(dir);
  write_idx_pair(dir, "train", 20, side, [](int i) { return i % 10; });
  write_idx_pair(dir, "t10k", 10, side, [](int i) { return 9 - i; });
}

}  // namespace

TEST_CASE("fashion-mnist: prepare validates the files and writes the manifest and one config per split") {
  TempDir dir("fashion_prepare");
  write_tiny_fashion(dir / "src");
  const data::FashionMnistPrepared p = data::prepare_fashion_mnist(dir / "src", dir / "out");
  CHECK(p.train == 20);
  CHECK(p.test == 10);
  REQUIRE(p.written.size() == 5);
  for (const std::string& f : p.written) CHECK(fs::exists(f));
  nlohmann::json m;
  std::ifstream(dir / "out/manifest.json") >> m;
  CHECK(m == p.manifest);
  CHECK(m["train_per_class"] == std::vector<int>(10, 2));
  CHECK(m["class_names"][9] == "Ankle boot");
  CHECK(m["files"]["t10k-labels-idx1-ubyte"]["file"] == "t10k-labels-idx1-ubyte.gz");
  CHECK(m["files"]["t10k-labels-idx1-ubyte"]["crc32"].get<std::string>().size() == 8);
  const auto& split = m["splits"]["13579"];
  CHECK(split["normal_classes"] == std::vector<int>{1, 3, 5, 7, 9});
  CHECK(split["train"] == 10);
  CHECK(split["test_anomalous"] == 5);

  // The written configuration loads and names the source.
  const data::FeatureCacheConfig c = data::load_feature_cache_config(dir / "out/fashion-mnist-13579.json", {});
  CHECK(c.data.kind == "fashion-mnist");
  CHECK(c.data.split == "13579");
  CHECK(fs::equivalent(c.data.root, dir / "src"));
  CHECK(c.data.eval_size == 28);

  // Errors: missing folder, missing file, wrong image size, a class absent.
  CHECK(contains(error_of([&] { data::prepare_fashion_mnist(dir / "nope", dir / "o2"); }), "nope"));
  TempDir bad("fashion_bad");
  write_idx_pair(bad.path.string(), "train", 20, 8, [](int i) { return i % 10; });
  CHECK(contains(error_of([&] { data::prepare_fashion_mnist(bad.path.string(), dir / "o3"); }),
                 "t10k-images-idx3-ubyte"));
  write_idx_pair(bad.path.string(), "t10k", 10, 8, [](int i) { return i; });
  CHECK(contains(error_of([&] { data::prepare_fashion_mnist(bad.path.string(), dir / "o3"); }), "8 x 8"));
  write_tiny_fashion(bad.path.string());
  write_idx_pair(bad.path.string(), "t10k", 10, 28, [](int) { return 3; });
  CHECK(contains(error_of([&] { data::prepare_fashion_mnist(bad.path.string(), dir / "o3"); }),
                 "no image of class 0 (T-shirt/top)"));
}

TEST_CASE("fashion-mnist: the unified protocol as a data set, and a feature cache of it") {
  TempDir dir("fashion_dataset");
  write_tiny_fashion(dir / "src");
  const data::Dataset d = data::open_fashion_mnist_dataset(dir / "src", "13579");
  REQUIRE(d.train.size() == 10);  // the odd classes' training images
  REQUIRE(d.test.size() == 10);
  for (const data::DataSample& s : d.train) {
    CHECK(s.class_id % 2 == 1);
    CHECK(s.label == 0);
    CHECK(s.defect == "good");
  }
  CHECK(d.test[0].class_id == 9);
  CHECK(d.test[0].label == 0);
  CHECK(d.test[1].class_id == 8);
  CHECK(d.test[1].label == 1);
  CHECK(d.test[1].defect == "anomalous");
  CHECK(d.test[1].class_name == "Bag");
  CHECK(d.test[3].file_name == "t10k-00003");
  CHECK(d.train[0].file_name == "train-00001");
  CHECK(d.description["normal_classes"] == std::vector<int>{1, 3, 5, 7, 9});

  // Image 1 of the training file is uniform grey 10: three equal channels of 10 / 255.
  const Tensor im = data::load_sample_image(d.train[0], 32);  // [3, 32, 32]
  test::check_close("fashion grey -> RGB / 255", im, Tensor::full({3, 32, 32}, 10.0f / 255.0f), 1e-7);
  const std::vector<uint8_t> mask = data::load_sample_mask(d.test[1], 28);
  CHECK(std::count(mask.begin(), mask.end(), 0) == 28 * 28);  // no masks: zeros

  CHECK(contains(error_of([&] { data::open_fashion_mnist_dataset(dir / "src", "123"); }), "unknown split"));

  // data.train_per_class / test_per_class: the first N of each class (and defect kind), in order.
  data::Dataset sub = d;
  data::subsample_per_class(sub, 1, 0);
  REQUIRE(sub.train.size() == 5);
  CHECK(sub.train[0].file_name == d.train[0].file_name);
  for (size_t i = 1; i < sub.train.size(); ++i) CHECK(sub.train[i].class_id != sub.train[i - 1].class_id);
  CHECK(sub.test.size() == 10);
  CHECK(sub.description["train_kept"] == 5);
  data::subsample_per_class(sub, 0, 1);
  CHECK(sub.test.size() == 10);  // one image per class already

  data::FeatureCacheConfig c;
  c.data.kind = "fashion-mnist";
  c.data.root = dir / "src";
  c.data.split = "13579";
  c.data.input_size = 32;
  c.data.eval_size = 28;
  c.backbone.name = "fake";
  c.features.batch_size = 4;
  test::FakeExtractor fake(32);
  const std::string out = dir / "fm.h5";
  data::build_feature_cache(c, data::open_configured_dataset(c.data), fake, out);
  const data::FeatureSplit test_split = data::read_feature_split(out, "test");
  CHECK(test_split.labels == std::vector<int>{0, 1, 0, 1, 0, 1, 0, 1, 0, 1});
  CHECK(test_split.class_ids == std::vector<int>{9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  CHECK(test_split.class_names.size() == 10);
  CHECK(std::count(test_split.masks.begin(), test_split.masks.end(), 0) == 10 * 28 * 28);
  const data::FeatureSplit bags = data::read_feature_split(out, "test", {"Bag", "Sandal"});
  CHECK(bags.rows == std::vector<int64_t>{1, 4});
  test::check_close("fashion cache features", test_split.features.select(0, 1).select(0, 0),
                    Tensor::full({4, 4}, float(10 * 1 / 255.0)), 1e-6);
}

TEST_CASE("fashion-mnist: the installed data set (skipped when absent)") {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(dir + "/train-images-idx3-ubyte.gz")) {
    MESSAGE("skipped: ", dir, " not installed (apt-get install dataset-fashion-mnist)");
    return;
  }
  TempDir out("fashion_real");
  const data::FashionMnistPrepared p = data::prepare_fashion_mnist(dir, out.path.string());
  CHECK(p.train == 60000);
  CHECK(p.test == 10000);
  CHECK(p.manifest["train_per_class"] == std::vector<int>(10, 6000));
  CHECK(p.manifest["test_per_class"] == std::vector<int>(10, 1000));
  for (const auto& [name, split] : p.manifest["splits"].items()) {
    CAPTURE(name);
    CHECK(split["train"] == 30000);
    CHECK(split["test_normal"] == 5000);
    CHECK(split["test_anomalous"] == 5000);
  }
  const data::Dataset d = data::open_fashion_mnist_dataset(dir, "02468");
  CHECK(d.train.size() == 30000);
  CHECK(d.test.size() == 10000);
  CHECK(data::load_image_batch(d.test, 0, 4, 224).shape() == Shape{4, 3, 224, 224});
}

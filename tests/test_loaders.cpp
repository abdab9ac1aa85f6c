// Loaders for the 10-class data sets: IDX (plain and gzip), CIFAR-10 binary batches, the unified
// normal-class protocol, and the error messages for missing, damaged and mismatched files. Every
// test writes its own small files; the real Fashion-MNIST is checked only when it is installed.
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "data/cifar.h"
#include "data/dataset_source.h"
#include "data/feature_config.h"
#include "data/idx.h"
#include "data/protocol.h"
#include "test_util.h"

using namespace uniad;
using namespace uniad::data;
using test::contains;
using test::error_of;
using test::TempDir;
namespace fs = std::filesystem;

namespace {


void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes, bool gzip) {
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
    REQUIRE(gzclose(f) == Z_OK);
  } else {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
}

// An IDX file of unsigned bytes: magic 0 0 0x08 rank, big-endian sizes, then `values`.
std::vector<uint8_t> idx_bytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& values) {
  std::vector<uint8_t> b = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) b.insert(b.end(), {uint8_t(d >> 24), uint8_t(d >> 16), uint8_t(d >> 8), uint8_t(d)});
  b.insert(b.end(), values.begin(), values.end());
  return b;
}

// Three 2x4 images whose pixel (n, y, x) is 100 n + 4 y + x, and their labels 7, 0, 3.
std::vector<uint8_t> small_pixels() {
  std::vector<uint8_t> p;
  for (int n = 0; n < 3; ++n)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 4; ++x) p.push_back(uint8_t(100 * n + 4 * y + x));
  return p;
}
const std::vector<uint8_t> kSmallLabels = {7, 0, 3};

// One CIFAR record: label, then channel c, row y, column x holds (c * 50 + y + x + seed) % 256.
void append_cifar_record(std::vector<uint8_t>& out, uint8_t label, int seed) {
  out.push_back(label);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x) out.push_back(uint8_t((c * 50 + y + x + seed) % 256));
}

}  // namespace

TEST_CASE("idx: images and labels read the same from plain and gzip files") {
  TempDir dir("idx_pair");
  for (bool gzip : {false, true}) {
    const std::string ext = gzip ? ".gz" : "";
    write_bytes(dir / ("img" + ext), idx_bytes({3, 2, 4}, small_pixels()), gzip);
    write_bytes(dir / ("lab" + ext), idx_bytes({3}, kSmallLabels), gzip);
    const ImageSet set = load_idx_pair(dir / ("img" + ext), dir / ("lab" + ext));
    CHECK(set.count == 3);
    CHECK(set.channels == 1);
    CHECK(set.height == 2);
    CHECK(set.width == 4);
    CHECK(set.pixels == small_pixels());
    CHECK(set.labels == std::vector<int64_t>{7, 0, 3});
  }
  // The gzip file really is compressed: its bytes differ from the plain one's.
  CHECK(fs::file_size(dir / "img.gz") != fs::file_size(dir / "img"));
}

TEST_CASE("idx: load_fashion_mnist finds the standard names, .gz or not") {
  TempDir dir("idx_fashion");
  write_bytes(dir / "t10k-images-idx3-ubyte.gz", idx_bytes({3, 2, 4}, small_pixels()), true);
  write_bytes(dir / "t10k-labels-idx1-ubyte", idx_bytes({3}, kSmallLabels), false);
  const ImageSet set = load_fashion_mnist(dir.path.string(), /*train=*/false);
  CHECK(set.count == 3);
  CHECK(set.labels[0] == 7);
  const std::string e = error_of([&] { load_fashion_mnist(dir.path.string(), /*train=*/true); });
  CHECK(contains(e, "neither train-images-idx3-ubyte.gz nor train-images-idx3-ubyte found"));
}

TEST_CASE("idx: errors name the file and what is wrong") {
  TempDir dir("idx_errors");
  auto write = [&](const std::string& name, const std::vector<uint8_t>& bytes, bool gzip = false) {
    write_bytes(dir / name, bytes, gzip);
    return dir / name;
  };
  std::string e = error_of([&] { read_idx(dir / "absent"); });
  CHECK((contains(e, "absent") && contains(e, "no such file")));

  e = error_of([&] { read_idx(write("magic", {1, 2, 8, 1, 0, 0, 0, 0})); });
  CHECK((contains(e, "magic") && contains(e, "bad magic")));

  e = error_of([&] { read_idx(write("float", {0, 0, 0x0D, 1, 0, 0, 0, 0})); });
  CHECK((contains(e, "float") && contains(e, "element type 0xd")));

  e = error_of([&] { read_idx(write("short_header", {0, 0, 8})); });
  CHECK((contains(e, "short_header") && contains(e, "truncated header")));

  e = error_of([&] { read_idx(write("short_dims", {0, 0, 8, 3, 0, 0, 0, 3, 0, 0})); });
  CHECK((contains(e, "short_dims") && contains(e, "truncated header (3 dimensions")));

  e = error_of([&] { read_idx(write("huge", {0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 9})); });
  CHECK((contains(e, "huge") && contains(e, "dims [4294967295, 4294967295]... announce over 64 GiB")));

  std::vector<uint8_t> cut = idx_bytes({3, 2, 4}, small_pixels());
  cut.resize(cut.size() - 5);
  for (bool gzip : {false, true}) {
    const std::string name = gzip ? "cut.gz" : "cut";
    e = error_of([&] { read_idx(write(name, cut, gzip)); });
    CHECK((contains(e, name) && contains(e, "truncated: dims [3, 2, 4] need 24 bytes of data, the file has 19")));
  }

  // A gzip stream cut short (as by an interrupted download) is reported by zlib, not read as data.
  write("whole.gz", idx_bytes({3, 2, 4}, small_pixels()), true);
  std::vector<uint8_t> gz(fs::file_size(dir / "whole.gz"));
  std::ifstream(dir / "whole.gz", std::ios::binary).read(reinterpret_cast<char*>(gz.data()), gz.size());
  for (size_t cut_bytes : {size_t{4}, gz.size() / 2}) {  // inside the trailer, inside the data
    const std::vector<uint8_t> part(gz.begin(), gz.end() - cut_bytes);
    e = error_of([&] { read_idx(write("stream_cut.gz", part)); });
    CHECK((contains(e, "stream_cut.gz") && contains(e, "read error: " + dir / "stream_cut.gz" + ": unexpected end of file")));
  }

  std::vector<uint8_t> longer = idx_bytes({3}, kSmallLabels);
  longer.push_back(9);
  e = error_of([&] { read_idx(write("long", longer)); });
  CHECK((contains(e, "long") && contains(e, "trailing bytes")));

  const std::string img = write("img", idx_bytes({3, 2, 4}, small_pixels()));
  const std::string lab = write("lab", idx_bytes({3}, kSmallLabels));
  const std::string lab2 = write("lab2", idx_bytes({2}, {1, 2}));
  e = error_of([&] { load_idx_pair(img, lab2); });
  CHECK((contains(e, "dims mismatch") && contains(e, "3 images") && contains(e, "lab2 has 2 labels")));
  e = error_of([&] { load_idx_pair(lab, lab); });
  CHECK(contains(e, "expected images [N, H, W], got dims [3]"));
  e = error_of([&] { load_idx_pair(img, img); });
  CHECK(contains(e, "expected labels [N], got dims [3, 2, 4]"));
}

TEST_CASE("idx: images_to_tensor gives float32 [B, C, H, W] in [0, 1]") {
  ImageSet set{3, 1, 2, 4, small_pixels(), {7, 0, 3}};
  const Tensor t = images_to_tensor(set, {2, 0});
  REQUIRE(t.shape() == Shape{2, 1, 2, 4});
  CHECK(t.dtype() == DType::Float32);
  CHECK(t.at({0, 0, 1, 3}) == doctest::Approx((200 + 4 + 3) / 255.0));
  CHECK(t.at({1, 0, 0, 1}) == doctest::Approx(1 / 255.0));
  CHECK(contains(error_of([&] { images_to_tensor(set, {3}); }), "index 3 out of range for 3 images"));
}

TEST_CASE("cifar: batches read as CHW RGB with their labels, train batches in order") {
  TempDir dir("cifar");
  int seed = 0;
  std::vector<int64_t> expected_labels;
  for (int b = 1; b <= 5; ++b) {
    std::vector<uint8_t> bytes;
    for (int r = 0; r < 2; ++r, ++seed) {  // two records per batch, labels 0..9 over the five
      append_cifar_record(bytes, uint8_t(seed % 10), seed);
      expected_labels.push_back(seed % 10);
    }
    write_bytes(dir / cat("data_batch_", b, ".bin"), bytes, false);
  }
  std::vector<uint8_t> test_bytes;
  append_cifar_record(test_bytes, 9, 77);
  write_bytes(dir / "test_batch.bin", test_bytes, false);

  const ImageSet train = load_cifar10(dir.path.string(), true);
  CHECK(train.count == 10);
  CHECK((train.channels == 3 && train.height == 32 && train.width == 32));
  CHECK(train.labels == expected_labels);
  // Image 7 (seed 7), green channel, row 5, column 6: (50 + 5 + 6 + 7) % 256.
  CHECK(train.pixels[7 * 3072 + 1 * 1024 + 5 * 32 + 6] == 68);
  const ImageSet test = load_cifar10(dir.path.string(), false);
  CHECK(test.count == 1);
  CHECK(test.labels[0] == 9);
  CHECK(test.pixels[2 * 1024 + 31 * 32 + 31] == (100 + 62 + 77) % 256);
}

TEST_CASE("cifar: the unified protocol through data.kind cifar10 (normal training images, every test image)") {
  TempDir dir("cifar_protocol");
  int seed = 0;
  for (int b = 1; b <= 5; ++b) {  // labels 0..9 twice over the five batches
    std::vector<uint8_t> bytes;
    for (int r = 0; r < 4; ++r, ++seed) append_cifar_record(bytes, uint8_t(seed % 10), seed);
    write_bytes(dir / cat("data_batch_", b, ".bin"), bytes, false);
  }
  std::vector<uint8_t> test_bytes;
  for (int r = 0; r < 10; ++r) append_cifar_record(test_bytes, uint8_t(r), 100 + r);
  write_bytes(dir / "test_batch.bin", test_bytes, false);

  FeatureDataConfig config;
  config.kind = "cifar10";
  config.root = dir.path.string();
  config.split = "02468";
  const Dataset d = open_configured_dataset(config);
  CHECK(d.class_names.size() == 10);
  CHECK(d.class_names[1] == "automobile");
  CHECK(d.train.size() == 10);  // 20 training images, the even labels' half
  for (const DataSample& s : d.train) CHECK((s.class_id % 2 == 0 && s.label == 0));
  REQUIRE(d.test.size() == 10);
  int anomalous = 0;
  for (const DataSample& s : d.test) {
    CHECK(s.label == (s.class_id % 2 == 1 ? 1 : 0));
    anomalous += s.label;
  }
  CHECK(anomalous == 5);
  CHECK(d.test[3].file_name == "test-00003");
  CHECK(load_sample_image(d.test[3], 64).shape() == Shape({3, 64, 64}));
  config.split = "012";
  CHECK_THROWS_AS(open_configured_dataset(config), Error);
}

TEST_CASE("cifar: missing, empty, truncated and mislabelled files") {
  TempDir dir("cifar_errors");
  std::string e = error_of([&] { load_cifar10(dir / "nowhere", true); });
  CHECK((contains(e, "nowhere") && contains(e, "no such directory")));
  e = error_of([&] { load_cifar10(dir.path.string(), true); });
  CHECK((contains(e, "data_batch_1.bin") && contains(e, "no such file")));

  write_bytes(dir / "empty.bin", {}, false);
  e = error_of([&] { read_cifar_batch(dir / "empty.bin"); });
  CHECK((contains(e, "empty.bin") && contains(e, "empty file")));

  std::vector<uint8_t> bytes;
  append_cifar_record(bytes, 3, 0);
  append_cifar_record(bytes, 4, 1);
  bytes.resize(bytes.size() - 100);
  write_bytes(dir / "cut.bin", bytes, false);
  e = error_of([&] { read_cifar_batch(dir / "cut.bin"); });
  CHECK((contains(e, "cut.bin") && contains(e, "truncated") && contains(e, "1 records and 2973 bytes left over")));

  bytes.clear();
  append_cifar_record(bytes, 3, 0);
  append_cifar_record(bytes, 10, 1);
  write_bytes(dir / "label.bin", bytes, false);
  e = error_of([&] { read_cifar_batch(dir / "label.bin"); });
  CHECK((contains(e, "label.bin") && contains(e, "record 1 has label 10")));
}

TEST_CASE("protocol: the four splits select normal training images and label abnormal test images") {
  std::vector<int64_t> train_labels, test_labels;
  for (int i = 0; i < 30; ++i) train_labels.push_back(i % 10);
  for (int i = 0; i < 20; ++i) test_labels.push_back((i * 7) % 10);
  CHECK(unified_split_names() == std::vector<std::string>{"01234", "02468", "13579", "56789"});
  for (const std::string& split : unified_split_names()) {
    CAPTURE(split);
    const auto normal = normal_classes(split);
    CHECK(std::count(normal.begin(), normal.end(), true) == 5);
    const ProtocolIndices p = unified_protocol(split, train_labels, test_labels);
    CHECK(p.train.size() == 15);  // 3 images of each of the 5 normal classes
    CHECK(std::is_sorted(p.train.begin(), p.train.end()));
    for (int64_t i : p.train) CHECK(normal[train_labels[i]]);
    REQUIRE(p.test.size() == 20);
    REQUIRE(p.test_anomaly.size() == 20);
    for (int i = 0; i < 20; ++i) {
      CHECK(p.test[i] == i);
      CHECK(p.test_anomaly[i] == (normal[test_labels[i]] ? 0 : 1));
    }
  }
  // Split 02468 by hand: every training label even, test label 1 exactly for odd classes.
  const ProtocolIndices p = unified_protocol("02468", train_labels, test_labels);
  for (int64_t i : p.train) CHECK(train_labels[i] % 2 == 0);
  for (int i = 0; i < 20; ++i) CHECK(p.test_anomaly[i] == test_labels[i] % 2);
  CHECK(unified_protocol("56789", {4, 5, 9}, {}).train == std::vector<int64_t>{1, 2});
}

TEST_CASE("protocol: unknown split and out-of-range labels") {
  std::string e = error_of([] { normal_classes("012"); });
  CHECK((contains(e, "unknown split \"012\"") && contains(e, "01234, 02468, 13579, 56789")));
  e = error_of([] { unified_protocol("01234", {0, 10}, {}); });
  CHECK(contains(e, "training label 10 at index 1 is outside 0-9"));
  e = error_of([] { unified_protocol("01234", {}, {-1}); });
  CHECK(contains(e, "test label -1 at index 0 is outside 0-9"));
}

TEST_CASE("loaders: the real Fashion-MNIST when installed (dataset-fashion-mnist)") {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!fs::is_directory(dir)) {
    std::printf("[skip] %s not found (apt-get install dataset-fashion-mnist to run this check)\n", dir.c_str());
    return;
  }
  const ImageSet train = load_fashion_mnist(dir, true), test = load_fashion_mnist(dir, false);
  CHECK(train.count == 60000);
  CHECK(test.count == 10000);
  CHECK((train.height == 28 && train.width == 28 && train.channels == 1));
  std::array<int64_t, 10> train_per_class{}, test_per_class{};
  for (int64_t l : train.labels) ++train_per_class.at(l);
  for (int64_t l : test.labels) ++test_per_class.at(l);
  for (int c = 0; c < 10; ++c) {
    CHECK(train_per_class[c] == 6000);
    CHECK(test_per_class[c] == 1000);
  }
  const ProtocolIndices p = unified_protocol("02468", train.labels, test.labels);
  CHECK(p.train.size() == 30000);
  CHECK(std::count(p.test_anomaly.begin(), p.test_anomaly.end(), 1) == 5000);
  std::printf("[fashion-mnist] %lld train, %lld test images, 28x28, 6000/1000 per class\n",
              (long long)train.count, (long long)test.count);
}

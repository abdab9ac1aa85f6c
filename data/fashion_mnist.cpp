#include "data/fashion_mnist.h"

#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "data/dataset_source.h"
#include "data/feature_config.h"
#include "data/idx.h"
#include "data/protocol.h"
#include "tensor/error.h"

namespace uniad::data {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* const kFiles[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                              "t10k-labels-idx1-ubyte"};

// Size and CRC-32 of a file's bytes as stored (compressed or not): enough to notice a changed copy.
json file_entry(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  UNIAD_CHECK(in.good(), "prepare fashion-mnist: ", path, ": cannot open");
  uLong crc = crc32(0L, Z_NULL, 0);
  int64_t bytes = 0;
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const std::streamsize got = in.gcount();
    crc = crc32(crc, reinterpret_cast<const Bytef*>(buf.data()), static_cast<uInt>(got));
    bytes += got;
  }
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08lx", static_cast<unsigned long>(crc));
  return {{"file", fs::path(path).filename().string()}, {"bytes", bytes}, {"crc32", hex}};
}

// Images per class 0-9; every label must be a class and every class present.
std::vector<int64_t> per_class(const ImageSet& set, const std::string& what) {
  std::vector<int64_t> counts(kProtocolClasses, 0);
  for (size_t i = 0; i < set.labels.size(); ++i) {
    const int64_t label = set.labels[i];
    UNIAD_CHECK(label >= 0 && label < kProtocolClasses, "prepare fashion-mnist: ", what, ": label ", label,
                " at index ", i, " is outside 0-9");
    ++counts[label];
  }
  for (int c = 0; c < kProtocolClasses; ++c)
    UNIAD_CHECK(counts[c] > 0, "prepare fashion-mnist: ", what, ": no image of class ", c, " (",
                fashion_mnist_class_names()[c], ")");
  return counts;
}

// Writes text to path through a temporary file renamed over it.
void write_text_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    UNIAD_CHECK(out.good(), path, ": cannot write (", tmp, ")");
    out << text;
    out.flush();
    UNIAD_CHECK(out.good(), path, ": write failed (disk full?)");
  }
  fs::rename(tmp, path);
}

}  // namespace

std::string fashion_mnist_file(const std::string& dir, const std::string& name) {
  const fs::path base = fs::path(dir) / name;
  if (fs::exists(base.string() + ".gz")) return base.string() + ".gz";
  UNIAD_CHECK(fs::exists(base), "prepare fashion-mnist: ", dir, ": neither ", name, ".gz nor ", name, " found");
  return base.string();
}

FashionMnistPrepared prepare_fashion_mnist(const std::string& source, const std::string& out_dir, int input_size,
                                           int eval_size) {
  UNIAD_CHECK(fs::is_directory(source), "prepare fashion-mnist: ", source, " is not a directory");
  const std::string root = fs::absolute(source).lexically_normal().string();
  json files = json::object();
  for (const char* name : kFiles) files[name] = file_entry(fashion_mnist_file(root, name));

  const ImageSet train = load_fashion_mnist(root, true);  // read_idx checks format and sizes
  const ImageSet test = load_fashion_mnist(root, false);
  for (const ImageSet* set : {&train, &test})
    UNIAD_CHECK(set->height == 28 && set->width == 28, "prepare fashion-mnist: ", root, ": images are ",
                set->height, " x ", set->width, ", Fashion-MNIST's are 28 x 28");
  const std::vector<int64_t> train_counts = per_class(train, root + " (train)");
  const std::vector<int64_t> test_counts = per_class(test, root + " (t10k)");

  FashionMnistPrepared out;
  out.train = train.count;
  out.test = test.count;
  json splits = json::object();
  for (const std::string& split : unified_split_names()) {
    const ProtocolIndices p = unified_protocol(split, train.labels, test.labels);
    int64_t anomalous = 0;
    for (int a : p.test_anomaly) anomalous += a;
    std::vector<int> normal;
    std::vector<std::string> names;
    for (char digit : split) {
      normal.push_back(digit - '0');
      names.push_back(fashion_mnist_class_names()[digit - '0']);
    }
    splits[split] = {{"normal_classes", normal},  {"normal_class_names", names},
                     {"train", p.train.size()},   {"test", p.test.size()},
                     {"test_normal", static_cast<int64_t>(p.test.size()) - anomalous},
                     {"test_anomalous", anomalous}, {"config", "fashion-mnist-" + split + ".json"}};
  }
  out.manifest = {{"dataset", "fashion-mnist"},
                  {"protocol", "unified: train on the training images of the 5 normal classes, test on all "
                               "test images, label 1 for the other 5 classes"},
                  {"source", root},
                  {"files", files},
                  {"image_size", {train.height, train.width}},
                  {"class_names", fashion_mnist_class_names()},
                  {"train_images", train.count},
                  {"test_images", test.count},
                  {"train_per_class", train_counts},
                  {"test_per_class", test_counts},
                  {"splits", splits}};

  fs::create_directories(out_dir);
  const std::string manifest_path = (fs::path(out_dir) / "manifest.json").string();
  write_text_atomic(manifest_path, out.manifest.dump(2) + "\n");
  out.written.push_back(manifest_path);
  for (const std::string& split : unified_split_names()) {
    FeatureCacheConfig c;
    c.data.kind = "fashion-mnist";
    c.data.root = root;
    c.data.split = split;
    c.data.input_size = input_size;
    c.backbone.resample = "area";  // measured better than the paper's point sampling (docs/main_job.md)
    c.data.eval_size = eval_size;
    c.validate();
    json j = to_json(c);
    j["data"].erase("classes");  // mvtec only
    const std::string path = (fs::path(out_dir) / ("fashion-mnist-" + split + ".json")).string();
    write_text_atomic(path, j.dump(2) + "\n");
    out.written.push_back(path);
  }
  return out;
}

}  // namespace uniad::data

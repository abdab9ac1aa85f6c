#include "data/dataset_source.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <utility>

#include "data/cifar.h"
#include "data/idx.h"
#include "data/image.h"
#include "data/mvtec.h"
#include "data/protocol.h"
#include "data/resize.h"
#include "tensor/error.h"

namespace uniad::data {

namespace {

std::vector<DataSample> from_mvtec(const std::vector<Sample>& samples, const std::vector<std::string>& classes) {
  std::vector<DataSample> out;
  out.reserve(samples.size());
  for (const Sample& s : samples) {
    DataSample d;
    d.image_path = s.image_path;
    d.mask_path = s.mask_path;
    d.label = s.label;
    d.class_id = static_cast<int>(std::find(classes.begin(), classes.end(), s.class_name) - classes.begin());
    d.class_name = s.class_name;
    d.defect = s.defect;
    d.file_name = s.file_name;
    out.push_back(std::move(d));
  }
  return out;
}

// "t10k-00042": which IDX file and which image in it, a stable name for an in-memory sample.
std::string idx_name(bool train, int64_t index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s-%05lld", train ? "train" : "t10k", static_cast<long long>(index));
  return buf;
}

// The pixels of in-memory image `index` as an 8-bit Image (H x W x C, interleaved).
Image image_of(const ImageSet& set, int64_t index, const std::string& name) {
  UNIAD_CHECK(index >= 0 && index < set.count, "load_sample_image: ", name, ": index ", index, " outside the ",
              set.count, " images of the set");
  UNIAD_CHECK(set.channels == 1 || set.channels == 3, "load_sample_image: ", name, ": ", set.channels,
              " channels (expected 1 or 3)");
  Image im = Image::zeros8(static_cast<int>(set.height), static_cast<int>(set.width), static_cast<int>(set.channels));
  const uint8_t* src = set.pixels.data() + index * set.image_bytes();  // (C, H, W) planes
  const int64_t plane = set.height * set.width;
  for (int64_t c = 0; c < set.channels; ++c)
    for (int64_t p = 0; p < plane; ++p) im.u8[p * set.channels + c] = src[c * plane + p];
  return im;
}

// Absolute paths make the cache's provenance (and its resume fingerprint) independent of the
// working directory a run started in.
std::string absolute_root(const std::string& root) {
  return root.empty() ? root : std::filesystem::absolute(root).lexically_normal().string();
}

}  // namespace

Dataset open_mvtec_dataset(const std::string& root_arg, const std::vector<std::string>& classes) {
  const std::string root = absolute_root(root_arg);
  const MvtecSet set = scan_mvtec(root, classes);
  Dataset d;
  d.kind = "mvtec";
  d.root = root;
  d.class_names = set.classes;
  d.train = from_mvtec(set.train, set.classes);
  d.test = from_mvtec(set.test, set.classes);
  d.description = {{"kind", "mvtec"}, {"root", root}, {"classes", set.classes},
                   {"train", d.train.size()}, {"test", d.test.size()}};
  return d;
}

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

namespace {

// A ten-class data set under the unified protocol `split`: the normal classes' training images
// train, every test image tests (label 1 = one of the other five classes). `names` gives each
// in-memory sample a stable file name.
Dataset open_unified_dataset(const std::string& kind, const std::string& dir, const std::string& split,
                             const std::vector<std::string>& class_names, ImageSet train_set, ImageSet test_set,
                             const std::function<std::string(bool train, int64_t index)>& names) {
  const auto normal = normal_classes(split);
  auto train = std::make_shared<ImageSet>(std::move(train_set));
  auto test = std::make_shared<ImageSet>(std::move(test_set));
  const ProtocolIndices p = unified_protocol(split, train->labels, test->labels);
  Dataset d;
  d.kind = kind;
  d.root = dir;
  d.class_names = class_names;
  auto add = [&](std::vector<DataSample>& out, const std::shared_ptr<ImageSet>& set, int64_t index, bool is_train) {
    DataSample s;
    s.images = set;
    s.image_index = index;
    s.class_id = static_cast<int>(set->labels[index]);
    s.label = normal[s.class_id] ? 0 : 1;
    s.class_name = d.class_names[s.class_id];
    s.defect = s.label ? "anomalous" : "good";
    s.file_name = names(is_train, index);
    out.push_back(std::move(s));
  };
  for (int64_t i : p.train) add(d.train, train, i, true);
  for (int64_t i : p.test) add(d.test, test, i, false);
  std::vector<int> normal_ids;
  for (int c = 0; c < kProtocolClasses; ++c)
    if (normal[c]) normal_ids.push_back(c);
  d.description = {{"kind", kind},           {"root", dir},          {"split", split},
                   {"normal_classes", normal_ids}, {"train", d.train.size()}, {"test", d.test.size()}};
  return d;
}

}  // namespace

Dataset open_fashion_mnist_dataset(const std::string& dir_arg, const std::string& split) {
  normal_classes(split);  // validates the split name first: cheap, clear error
  const std::string dir = absolute_root(dir_arg);
  return open_unified_dataset("fashion-mnist", dir, split, fashion_mnist_class_names(), load_fashion_mnist(dir, true),
                              load_fashion_mnist(dir, false), idx_name);
}

const std::vector<std::string>& cifar10_class_names() {
  static const std::vector<std::string> names = {"airplane", "automobile", "bird",  "cat",  "deer",
                                                 "dog",      "frog",       "horse", "ship", "truck"};
  return names;
}

Dataset open_cifar10_dataset(const std::string& dir_arg, const std::string& split) {
  normal_classes(split);
  const std::string dir = absolute_root(dir_arg);
  // "train-00042" is image 42 of the five data batches in order, "test-00042" of test_batch.bin.
  auto names = [](bool train, int64_t index) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s-%05lld", train ? "train" : "test", static_cast<long long>(index));
    return std::string(buf);
  };
  return open_unified_dataset("cifar10", dir, split, cifar10_class_names(), load_cifar10(dir, true),
                              load_cifar10(dir, false), names);
}

void subsample_per_class(Dataset& dataset, int64_t train_per_class, int64_t test_per_class) {
  auto keep_first = [](std::vector<DataSample>& samples, int64_t n, bool by_defect) {
    if (n <= 0) return;
    std::map<std::pair<int, std::string>, int64_t> seen;  // (class, defect kind) -> kept so far
    std::vector<DataSample> kept;
    for (DataSample& s : samples)
      if (seen[{s.class_id, by_defect ? s.defect : std::string()}]++ < n) kept.push_back(std::move(s));
    samples = std::move(kept);
  };
  keep_first(dataset.train, train_per_class, false);
  keep_first(dataset.test, test_per_class, true);
  if (train_per_class > 0 || test_per_class > 0) {
    dataset.description["train_per_class"] = train_per_class;
    dataset.description["test_per_class"] = test_per_class;
    dataset.description["train_kept"] = dataset.train.size();
    dataset.description["test_kept"] = dataset.test.size();
  }
}

Tensor load_sample_image(const DataSample& sample, int size) {
  UNIAD_CHECK(size > 0, "load_sample_image: size must be positive, got ", size);
  const std::string& name = sample.images ? sample.file_name : sample.image_path;
  Image im = sample.images ? image_of(*sample.images, sample.image_index, name) : decode_image(sample.image_path);
  // Grey stays one channel through the resize (a third of the work) and is copied out after:
  // resizing is per channel, so the order does not change a value.
  Image small = im.channels == 1 && im.bit_depth == 8 ? im : to_rgb8(im);
  if (small.height != size || small.width != size) small = resize_bilinear(small, size, size);
  Tensor out = Tensor::empty({3, size, size}, DType::Float32);  // [3, S, S]
  float* o = out.data<float>();
  const int64_t plane = int64_t(size) * size;
  for (int c = 0; c < 3; ++c) {
    const int src_c = small.channels == 1 ? 0 : c;
    for (int64_t p = 0; p < plane; ++p) o[c * plane + p] = float(small.u8[p * small.channels + src_c]) / 255.0f;
  }
  return out;
}

std::vector<uint8_t> load_sample_mask(const DataSample& sample, int size) {
  UNIAD_CHECK(size > 0, "load_sample_mask: size must be positive, got ", size);
  std::vector<uint8_t> out(size_t(size) * size, 0);
  if (sample.mask_path.empty()) return out;
  Image grey = to_grey8(decode_image(sample.mask_path));
  if (grey.height != size || grey.width != size) grey = resize_nearest(grey, size, size);
  for (size_t i = 0; i < out.size(); ++i) out[i] = grey.u8[i] > 0 ? 1 : 0;
  return out;
}

namespace {

// Runs load(i) for i in [0, count) on OpenMP threads (decoding dominates for image files). An
// exception must not leave an OpenMP region: each is kept and the first one rethrown after.
template <typename Load>
void parallel_load(const std::vector<DataSample>& samples, int64_t first, int64_t count, const char* what,
                   Load&& load) {
  UNIAD_CHECK(first >= 0 && count >= 0 && first + count <= static_cast<int64_t>(samples.size()), what,
              ": samples [", first, ", ", first + count, ") outside the ", samples.size(), " given");
  std::vector<std::exception_ptr> errors(static_cast<size_t>(count));
#pragma omp parallel for schedule(dynamic)
  for (int64_t i = 0; i < count; ++i) {
    try {
      load(i);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  }
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace

Tensor load_image_batch(const std::vector<DataSample>& samples, int64_t first, int64_t count, int size) {
  Tensor out = Tensor::empty({count, 3, size, size}, DType::Float32);  // [B, 3, S, S]
  float* dst = out.data<float>();
  const int64_t per_image = int64_t(3) * size * size;
  parallel_load(samples, first, count, "load_image_batch", [&](int64_t i) {
    const Tensor im = load_sample_image(samples[first + i], size);
    std::copy(im.data<float>(), im.data<float>() + per_image, dst + i * per_image);
  });
  return out;
}

std::vector<uint8_t> load_mask_batch(const std::vector<DataSample>& samples, int64_t first, int64_t count, int size) {
  const size_t per_mask = size_t(size) * size;
  std::vector<uint8_t> out(static_cast<size_t>(std::max<int64_t>(count, 0)) * per_mask);  // [B, S', S']
  parallel_load(samples, first, count, "load_mask_batch", [&](int64_t i) {
    const std::vector<uint8_t> m = load_sample_mask(samples[first + i], size);
    std::copy(m.begin(), m.end(), out.begin() + i * per_mask);
  });
  return out;
}

}  // namespace uniad::data

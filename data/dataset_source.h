#pragma once
// A data set as the feature cache sees it: two lists of samples (train, test), each sample
// knowing where its pixels come from, its label, class, defect kind, file name and optional
// mask. Two kinds of source fill it:
//   mvtec          a folder in the MVTec-AD layout (data/mvtec.h), any subset of its classes;
//                  the real MVTec-AD and the generated texture benchmark alike
//   fashion-mnist  the unified protocol on Fashion-MNIST (data/idx.h, data/protocol.h): train =
//                  the training images of the split's 5 normal classes, test = all 10,000 test
//                  images, label 1 when the class is not normal
// Loading a sample gives what the backbone and the evaluation want, whatever the source:
//   image  float32 [3, S, S], RGB, pixel / 255 (S the input size), resized with PIL's
//          antialiased bilinear filter (data/resize.h); grey images are copied to 3 channels
//   mask   S' x S' bytes of 0 and 1 at the evaluation size S' (nearest neighbour, any value > 0
//          is defect); all zeros for normal images and samples without a mask
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/image_set.h"
#include "tensor/tensor.h"

namespace uniad::data {

struct DataSample {
  // Where the pixels are: a file to decode, or image `image_index` of an in-memory set.
  std::string image_path;
  std::shared_ptr<const ImageSet> images;
  int64_t image_index = -1;
  std::string mask_path;   // empty: no mask (normal image, or a data set without masks)
  int label = 0;           // 0 normal, 1 anomalous
  int class_id = 0;        // index into Dataset::class_names
  std::string class_name;  // class_names[class_id]
  std::string defect;      // MVTec: "good" or the defect folder; Fashion-MNIST: "good" or "anomalous"
  std::string file_name;   // MVTec: "000.png"; Fashion-MNIST: "t10k-01234" (IDX file and index)
};

struct Dataset {
  std::string kind;                      // "mvtec" or "fashion-mnist"
  std::string root;                      // the folder read, made absolute (image paths follow it)
  std::vector<std::string> class_names;  // class_id -> name
  std::vector<DataSample> train, test;
  // Says where the data came from, for the cache's provenance: kind, root, classes, split, counts.
  nlohmann::json description;
};

// The MVTec-layout folder `root`, restricted to `classes` (all when empty). class_id follows
// the sorted class list. Errors are scan_mvtec's (missing root, unknown class, missing mask).
Dataset open_mvtec_dataset(const std::string& root, const std::vector<std::string>& classes = {});

// Keeps the first `train_per_class` training samples of each class and the first
// `test_per_class` test samples of each (class, defect kind), in order (0: keep all). Records
// both numbers and the new counts in description.
void subsample_per_class(Dataset& dataset, int64_t train_per_class, int64_t test_per_class);

// Fashion-MNIST's ten class names, by label.
const std::vector<std::string>& fashion_mnist_class_names();

// Fashion-MNIST IDX files in `dir` under the unified protocol `split` ("01234", "02468", "13579",
// "56789"). class_id is the Fashion-MNIST label (0-9) and class_names has all ten names.
Dataset open_fashion_mnist_dataset(const std::string& dir, const std::string& split);

// CIFAR-10's ten class names, by label.
const std::vector<std::string>& cifar10_class_names();

// The CIFAR-10 binary batches in `dir` (cifar-10-batches-bin, data/cifar.h) under the unified
// protocol `split`, as for Fashion-MNIST: the paper's CIFAR-10 setting.
Dataset open_cifar10_dataset(const std::string& dir, const std::string& split);

// float32 [3, S, S]: the sample's image, RGB, resized to size x size, pixel / 255.
Tensor load_sample_image(const DataSample& sample, int size);
// size * size bytes of 0 / 1: the sample's mask resized (nearest) to size x size; zeros without one.
std::vector<uint8_t> load_sample_mask(const DataSample& sample, int size);

// A batch: images float32 [B, 3, S, S] of samples [first, first + count), decoded in parallel.
Tensor load_image_batch(const std::vector<DataSample>& samples, int64_t first, int64_t count, int size);
// Their masks: count * size * size bytes of 0 / 1, [B, S', S'] row-major.
std::vector<uint8_t> load_mask_batch(const std::vector<DataSample>& samples, int64_t first, int64_t count, int size);

}  // namespace uniad::data

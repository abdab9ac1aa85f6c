#pragma once
// `uniad prepare fashion-mnist`: checks a Fashion-MNIST copy and describes the unified protocol
// on it, so that `uniad features` (and then training) can run on each split.
//
// What it writes (docs/feature_cache.md explains the choice): nothing is copied. The IDX files
// are already compact (30 MB gzip) and data/idx.h reads them directly, so a second copy would
// only be a second thing to keep in sync. Instead OUT/ gets
//   manifest.json                the source folder, each IDX file's name, size and CRC-32, the
//                                image size, the ten class names, the images per class, and per
//                                split its normal classes and sample counts
//   fashion-mnist-SPLIT.json     one `uniad features` configuration per split (01234, 02468,
//                                13579, 56789), pointing at the source folder
// Everything is validated first (readable IDX, 28 x 28 images, labels 0-9, images and labels
// agree, every class present in both sets), so a later run does not find a damaged file halfway.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace uniad::data {

struct FashionMnistPrepared {
  nlohmann::json manifest;               // as written to OUT/manifest.json
  std::vector<std::string> written;      // the files written, manifest first
  int64_t train = 0, test = 0;           // images in the source
};

// Reads and checks the four IDX files in `source` and writes OUT/manifest.json and the four
// configurations (atomically: each file appears complete or not at all). `input_size` and
// `eval_size` go into the configurations' data section.
FashionMnistPrepared prepare_fashion_mnist(const std::string& source, const std::string& out_dir,
                                           int input_size = 224, int eval_size = 28);

// The IDX file `name` (e.g. "train-images-idx3-ubyte") in `dir`: NAME.gz when present, else NAME;
// the same choice as load_fashion_mnist.
std::string fashion_mnist_file(const std::string& dir, const std::string& name);

}  // namespace uniad::data

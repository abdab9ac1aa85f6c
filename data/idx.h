#pragma once
// IDX files, the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
//   bytes 0-1  zero
//   byte  2    element type (0x08 = unsigned byte; the only one these data sets use)
//   byte  3    number of dimensions D
//   then D big-endian uint32 sizes, then the elements in row-major order.
// Files may be plain or gzip-compressed; zlib's gzread reads both, so callers need not care.
#include <cstdint>
#include <string>
#include <vector>

#include "data/image_set.h"

namespace uniad::data {

// One IDX array of unsigned bytes: its sizes and its elements, row-major.
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> values;
};

// Reads a whole IDX file (plain or .gz). Errors name the file and the problem: missing file,
// bad magic, an element type other than unsigned byte, truncated data, trailing bytes.
IdxArray read_idx(const std::string& path);

// Reads an images file [N, H, W] and its labels file [N] into an ImageSet with C = 1.
// Errors when the ranks are wrong or the two files disagree on N.
ImageSet load_idx_pair(const std::string& images_path, const std::string& labels_path);

// Fashion-MNIST (or MNIST) in `dir` with the standard file names
// {train,t10k}-{images-idx3,labels-idx1}-ubyte, each with or without ".gz" (the .gz is tried first).
ImageSet load_fashion_mnist(const std::string& dir, bool train);

}  // namespace uniad::data

#pragma once
// CIFAR-10, binary version (https://www.cs.toronto.edu/~kriz/cifar.html): the folder
// cifar-10-batches-bin holds data_batch_1.bin .. data_batch_5.bin (training, 10,000 images each)
// and test_batch.bin. Each record is 1 label byte (0-9) followed by 3072 pixel bytes: the red,
// green and blue 32x32 planes in turn, i.e. one image (C=3, H=32, W=32) in row-major CHW order.
#include <string>

#include "data/image_set.h"

namespace uniad::data {

constexpr int64_t kCifarSide = 32;
constexpr int64_t kCifarRecordBytes = 1 + 3 * kCifarSide * kCifarSide;  // 3073

// Reads one batch file. Errors name the file: missing, empty, truncated (size not a whole number
// of records), or a label outside 0-9.
ImageSet read_cifar_batch(const std::string& path);

// The training set (the five data batches, in order) or the test set of the folder `dir`.
ImageSet load_cifar10(const std::string& dir, bool train);

}  // namespace uniad::data

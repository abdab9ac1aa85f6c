#pragma once
// The unified protocol for 10-class data sets (UniAD paper, CIFAR-10 setting; the same here for
// Fashion-MNIST): five classes are normal, the other five anomalous. Training uses only the
// training images of the normal classes; testing uses the whole test set, an image being
// anomalous (label 1) when its class is not normal. The four splits are named by their normal
// classes: "01234", "02468", "13579", "56789".
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace uniad::data {

constexpr int kProtocolClasses = 10;

// The split names, in the paper's order.
const std::vector<std::string>& unified_split_names();

// normal[c] is true when class c is normal in `split`; errors on an unknown name, listing the known ones.
std::array<bool, kProtocolClasses> normal_classes(const std::string& split);

struct ProtocolIndices {
  std::vector<int64_t> train;    // indices into the training set: its normal-class images, in order
  std::vector<int64_t> test;     // indices into the test set: every image, 0 .. N-1
  std::vector<int> test_anomaly; // test_anomaly[i] = 1 when image test[i] is of an abnormal class
};

// Applies `split` to the class labels of a training and a test set (labels must be 0-9).
ProtocolIndices unified_protocol(const std::string& split, const std::vector<int64_t>& train_labels,
                                 const std::vector<int64_t>& test_labels);

}  // namespace uniad::data

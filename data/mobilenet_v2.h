#pragma once
// Keras MobileNetV2 (keras_applications, as shipped by nsfwjs 4.3.0) described for MBConvNet,
// and the small classifier nsfwjs puts on top of it.
//
// Blocks are numbered as Keras numbers them: block 0 is "expanded_conv", blocks 1..16 are
// "block_1" .. "block_16"; block -1 is the stem ("Conv1"). Tensor keys are the Keras layer
// names: "block_3_expand/weight", "block_3_expand_BN/running_var", "Conv1/weight", ...
//
//   block  0      1  2   3  4  5   6  7  8  9   10 11 12   13 14 15   16
//   out   16     24 24  32 32 32  64 64 64 64  96 96 96  160 160 160  320   (alpha 1)
//   stride 1      2  1   2  1  1   2  1  1  1    1  1  1    2  1  1    1
// Expansion 6 everywhere but block 0 (1). The net's strides relative to the input: stem 2,
// blocks 0 -> 2, 1-2 -> 4, 3-5 -> 8, 6-12 -> 16, 13-16 -> 32.
#include <string>
#include <vector>

#include "data/mbconv.h"

namespace uniad::data {

// In the nsfwjs weights, blocks after this one were fine-tuned for nsfwjs's own task (their
// Keras layers are trainable); the weight file records it as root attribute
// "last_imagenet_block" and the feature extractor refuses deeper feature blocks.
inline constexpr int kNsfwjsLastImageNetBlock = 10;

// Width multiplier alpha as in Keras (channels rounded by _make_divisible to multiples of 8);
// head_channels 0 means Keras's rule (1280, or 1280 * alpha rounded when alpha > 1).
MBConvSpec mobilenet_v2_spec(double alpha = 1.0, int64_t head_channels = 0);

// Keras's _make_divisible(v, 8): the nearest multiple of 8, never below 8 nor under 90% of v.
int64_t keras_make_divisible(double v, int64_t divisor = 8);

// The whole shipped network: MobileNetV2 with its head (Conv_1, BN, ReLU6), global average
// pooling (nsfwjs's 7x7 average pooling at 224 px), then Dense layers dense_1, dense_2, ...
// (ReLU between them, softmax after the last; dropout is inactive at inference).
class MobileNetV2Classifier {
 public:
  static MobileNetV2Classifier load(const std::string& path, double alpha = 1.0, int64_t head_channels = 0);
  // images [B, 3, S, S], scaled as the net expects (nsfwjs: pixel / 255) -> probabilities [B, K].
  Tensor probabilities(const Tensor& images) const;
  int64_t classes() const { return dense_.back().weight.size(0); }

 private:
  struct Dense {
    Tensor weight, bias;  // [out, in], [out]
  };
  MBConvNet net_;
  std::vector<Dense> dense_;
};

// nsfwjs's class names, by output index (its dist/nsfw_classes.js).
const std::vector<std::string>& nsfwjs_class_names();

}  // namespace uniad::data

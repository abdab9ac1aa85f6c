#pragma once
// A frozen, inference-only MBConv network: the family of MobileNetV2 and EfficientNet.
//
// One description (MBConvSpec) says what the network is; one implementation (MBConvNet) runs
// it. A builder per architecture fills the description: data/mobilenet_v2.cpp here, an
// EfficientNet-B4 builder in its own file. Everything an architecture differs in is a field:
//
//   stem:   conv kH x kW stride s (3 -> stem channels), BatchNorm, activation
//   block:  [expand 1x1 conv, BN, act]         only when expand_ratio > 1
//           depthwise k x k conv stride s, BN, act
//           [squeeze-excitation]               only when se_width > 0:
//             s = sigmoid(W_e act(W_r mean_hw(h) + b_r) + b_e), h = h * s   (per channel)
//           project 1x1 conv, BN               (no activation: a linear bottleneck)
//           + block input                      when stride == 1 and in == out
//   head:   1x1 conv, BN, activation           optional, after the last block
//
//   activation: ReLU6 (MobileNetV2) or swish x * sigmoid(x) (EfficientNet)
//   padding:    "same" padding: total = max((ceil(n / s) - 1) * s + k - n, 0) along an axis of
//               size n, split as total / 2 before and the rest after (the extra pixel goes to
//               the bottom / right, as TensorFlow does). Dynamic: n is the actual input size of
//               that conv (Keras MobileNetV2). Static: n is the size the conv would see for an
//               image of static_image_size (EfficientNet-PyTorch's Conv2dStaticSamePadding),
//               fixed whatever the actual input size is.
//
// Letters: B images, S input side, C channels, H W a map's size. BatchNorm (eval statistics) is
// folded into the preceding conv when the weights load: w' = w * g, b' = beta - mean * g with
// g = gamma / sqrt(var + eps). No autograd: plain tensor ops (tensor/conv2d.h), whose OpenMP
// loops and GEMM threads make it parallel.
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace uniad::data {

enum class Activation { Relu6, Swish };
enum class SamePadding { Dynamic, Static };

const char* activation_name(Activation a);
const char* same_padding_name(SamePadding p);

// A convolution and the BatchNorm after it, by their keys in the weight file: tensors
// "<conv>/weight" and "<bn>/{weight,bias,running_mean,running_var}" (no conv bias).
struct ConvBNNames {
  std::string conv;
  std::string bn;
};

struct MBConvBlockSpec {
  std::string name;         // how messages and describe() call it: "block_3", "_blocks.3"
  std::string output_name;  // the layer whose output the block ends in: "block_2_add"
  int64_t in = 0, out = 0;  // channels
  int64_t expand_ratio = 1;  // expanded channels = in * expand_ratio; 1: no expansion conv
  int64_t kernel = 3, stride = 1;
  int64_t se_width = 0;  // squeeze-excitation hidden width; 0: none
  ConvBNNames expand, depthwise, project;  // expand unused when expand_ratio == 1
  std::string se_reduce, se_expand;        // 1x1 convs with bias ("<key>/weight", "<key>/bias")

  int64_t expanded() const { return in * expand_ratio; }
  bool residual() const { return stride == 1 && in == out; }
};

struct MBConvSpec {
  std::string architecture;  // the weight file's root attribute "architecture" must match
  Activation activation = Activation::Relu6;
  SamePadding padding = SamePadding::Dynamic;
  int64_t static_image_size = 0;  // Static padding: the image side the padding is computed for
  double bn_eps = 1e-3;

  ConvBNNames stem;
  std::string stem_output_name;  // "Conv1_relu"
  int64_t stem_channels = 32, stem_kernel = 3, stem_stride = 2;

  std::vector<MBConvBlockSpec> blocks;

  ConvBNNames head;  // empty conv: no head
  int64_t head_channels = 0;

  bool has_head() const { return !head.conv.empty(); }
  // Channels and stride (relative to the input) of block b's output; b = -1 is the stem.
  int64_t block_channels(int b) const;
  int64_t block_stride(int b) const;
  std::string block_output_name(int b) const;
  // Checks channel chaining and sizes; errors name the architecture and the block.
  void validate() const;
};

// (before, after) zero padding of "same" convolution along an axis of size n.
struct PadPair {
  int64_t before, after;
};
PadPair same_padding(int64_t n, int64_t kernel, int64_t stride);
inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

class MBConvNet {
 public:
  // Loads the stem, blocks 0 .. last_block (-1: the stem only) and, when with_head, the head
  // from the HDF5 weight file at `path` (format in docs/backbones.md), folding every BatchNorm.
  // Only what is loaded has to be in the file. Errors name the file and the missing or
  // mis-shaped tensor, or an architecture attribute that does not match.
  static MBConvNet load(const MBConvSpec& spec, const std::string& path, int last_block, bool with_head = false);

  // images [B, 3, S, S] -> one map per requested block (b = -1: the stem), in request order,
  // block b's map [B, block_channels(b), H_b, W_b]. The network runs only as deep as the
  // deepest request. Blocks must be loaded.
  std::vector<Tensor> forward(const Tensor& images, const std::vector<int>& blocks) const;
  // The head on the last block's output x [B, C, H, W] -> [B, head_channels, H, W].
  Tensor head(const Tensor& x) const;

  const MBConvSpec& spec() const { return spec_; }
  int last_block() const { return static_cast<int>(blocks_.size()) - 1; }
  const std::string& source() const { return source_; }  // the weight file

  struct FoldedConv {     // a conv with its BatchNorm (or its own bias) folded in
    Tensor weight, bias;  // [O, I/groups, kH, kW], [O]
  };

 private:
  struct Block {
    FoldedConv expand, depthwise, project;
    FoldedConv se_reduce, se_expand;
  };
  // x [B, C, H, W] at nominal side `nominal` (static padding) -> the block's output.
  Tensor run_block(int b, const Tensor& x, int64_t nominal) const;
  std::vector<Tensor> forward_batch(const Tensor& x, const std::vector<int>& blocks) const;
  Tensor conv(const Tensor& x, const FoldedConv& c, int64_t stride, int64_t nominal, bool depthwise) const;
  void squeeze_excite_(Tensor& h, const Block& blk) const;

  MBConvSpec spec_;
  std::string source_;
  FoldedConv stem_, head_;
  std::vector<Block> blocks_;
};

}  // namespace uniad::data

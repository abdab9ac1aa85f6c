// The MobileNetV2 description (keras_applications/mobilenet_v2.py, Keras 2.2.4 as in nsfwjs) and
// the nsfwjs classifier on top of it.
#include "data/mobilenet_v2.h"

#include <algorithm>
#include <cmath>

#include "tensor/elementwise.h"
#include "tensor/error.h"
#include "tensor/hdf5_io.h"
#include "tensor/matmul.h"
#include "tensor/reduce.h"
#include "tensor/softmax.h"

namespace uniad::data {

int64_t keras_make_divisible(double v, int64_t divisor) {
  int64_t r = std::max<int64_t>(divisor, static_cast<int64_t>(v + divisor / 2.0) / divisor * divisor);
  if (r < 0.9 * v) r += divisor;
  return r;
}

MBConvSpec mobilenet_v2_spec(double alpha, int64_t head_channels) {
  UNIAD_CHECK(alpha > 0, "mobilenet_v2: width multiplier alpha must be positive, got ", alpha);
  MBConvSpec s;
  s.architecture = "mobilenet_v2";
  s.activation = Activation::Relu6;
  s.padding = SamePadding::Dynamic;  // Keras pads stride-2 convs with correct_pad, i.e. TF "same"
  s.bn_eps = 1e-3;
  s.stem = {"Conv1", "bn_Conv1"};
  s.stem_output_name = "Conv1_relu";
  s.stem_channels = keras_make_divisible(32 * alpha);
  s.stem_kernel = 3;
  s.stem_stride = 2;
  struct Stage {
    int64_t filters, stride, expansion, repeats;
  };
  const Stage stages[] = {{16, 1, 1, 1}, {24, 2, 6, 2}, {32, 2, 6, 3}, {64, 2, 6, 4},
                          {96, 1, 6, 3}, {160, 2, 6, 3}, {320, 1, 6, 1}};
  int64_t in = s.stem_channels;
  int id = 0;
  for (const Stage& st : stages)
    for (int64_t r = 0; r < st.repeats; ++r, ++id) {
      MBConvBlockSpec b;
      const std::string prefix = id == 0 ? "expanded_conv_" : "block_" + std::to_string(id) + "_";
      b.name = id == 0 ? "expanded_conv" : "block_" + std::to_string(id);
      b.in = in;
      b.out = keras_make_divisible(static_cast<double>(static_cast<int64_t>(st.filters * alpha)));
      b.expand_ratio = st.expansion;
      b.kernel = 3;
      b.stride = r == 0 ? st.stride : 1;
      b.expand = {prefix + "expand", prefix + "expand_BN"};
      b.depthwise = {prefix + "depthwise", prefix + "depthwise_BN"};
      b.project = {prefix + "project", prefix + "project_BN"};
      b.output_name = prefix + (b.residual() ? "add" : "project_BN");
      s.blocks.push_back(b);
      in = b.out;
    }
  s.head = {"Conv_1", "Conv_1_bn"};
  s.head_channels = head_channels > 0 ? head_channels : alpha > 1.0 ? keras_make_divisible(1280 * alpha) : 1280;
  return s;
}

const std::vector<std::string>& nsfwjs_class_names() {
  static const std::vector<std::string> names = {"Drawing", "Hentai", "Neutral", "Porn", "Sexy"};
  return names;
}

MobileNetV2Classifier MobileNetV2Classifier::load(const std::string& path, double alpha, int64_t head_channels) {
  const MBConvSpec spec = mobilenet_v2_spec(alpha, head_channels);
  MobileNetV2Classifier c;
  c.net_ = MBConvNet::load(spec, path, static_cast<int>(spec.blocks.size()) - 1, true);
  const h5::File file = h5::File::open_read(path);
  int64_t in = spec.head_channels;
  for (int i = 1; file.exists("dense_" + std::to_string(i)); ++i) {
    const std::string key = "dense_" + std::to_string(i);
    Dense d{file.read(key + "/weight", DType::Float32), file.read(key + "/bias", DType::Float32)};
    UNIAD_CHECK(d.weight.dim() == 2 && d.weight.size(1) == in, path, ": tensor '", key, "/weight' has shape ",
                shape_str(d.weight.shape()), ", expected [out, ", in, "]");
    UNIAD_CHECK(d.bias.shape() == Shape({d.weight.size(0)}), path, ": tensor '", key, "/bias' has shape ",
                shape_str(d.bias.shape()), ", expected [", d.weight.size(0), "]");
    in = d.weight.size(0);
    c.dense_.push_back(std::move(d));
  }
  UNIAD_CHECK(!c.dense_.empty(), path, ": missing tensor 'dense_1/weight' (the classifier's first Dense layer)");
  return c;
}

Tensor MobileNetV2Classifier::probabilities(const Tensor& images) const {
  const int last = net_.last_block();
  Tensor x = net_.head(net_.forward(images, {last})[0]);  // [B, head, H, W]
  x = ops::mean(x.view({x.size(0), x.size(1), -1}), {2}, false);  // [B, head] global average pooling
  for (size_t i = 0; i < dense_.size(); ++i) {
    x = ops::add(ops::matmul(x, dense_[i].weight.transpose(0, 1)), dense_[i].bias);  // [B, out]
    if (i + 1 < dense_.size()) x = ops::unary(ops::UnaryOp::Relu, x);
  }
  return ops::softmax_forward(x);  // [B, K], over the last axis
}

}  // namespace uniad::data

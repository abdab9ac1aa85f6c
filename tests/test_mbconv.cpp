// The MBConv backbone without PyTorch: padding rules, the MobileNetV2 description, BatchNorm
// folding against the unfolded definition, and the errors a bad weight file gives.
#include <cmath>

#include "data/mbconv.h"
#include "data/mobilenet_v2.h"
#include "tensor/conv2d.h"
#include "tensor/elementwise.h"
#include "tensor/reduce.h"
#include "test_mbconv_util.h"
#include "test_util.h"

using namespace uniad;
using data::MBConvNet;
using data::MBConvSpec;
using data::PadPair;

namespace {

void check_pad(int64_t n, int64_t k, int64_t s, int64_t before, int64_t after) {
  const PadPair p = data::same_padding(n, k, s);
  INFO("n ", n, " kernel ", k, " stride ", s);
  CHECK(p.before == before);
  CHECK(p.after == after);
}

// A one-block net with everything switched on: expansion, squeeze-excitation, residual.
MBConvSpec tiny_spec(data::Activation act, data::SamePadding pad) {
  MBConvSpec s;
  s.architecture = "tiny";
  s.activation = act;
  s.padding = pad;
  s.static_image_size = 13;
  s.stem = {"stem", "stem_bn"};
  s.stem_output_name = "stem";
  s.stem_channels = 4;
  data::MBConvBlockSpec b;
  b.name = b.output_name = "b0";
  b.in = b.out = 4;
  b.expand_ratio = 3;
  b.kernel = 5;
  b.stride = 1;
  b.se_width = 2;
  b.expand = {"b0/expand", "b0/expand_bn"};
  b.depthwise = {"b0/dw", "b0/dw_bn"};
  b.project = {"b0/project", "b0/project_bn"};
  b.se_reduce = "b0/se_r";
  b.se_expand = "b0/se_e";
  s.blocks.push_back(b);
  return s;
}

// conv (reference loops) then BatchNorm from the stored statistics, unfolded.
Tensor conv_bn_reference(const h5::File& f, const data::ConvBNNames& n, const Tensor& x, int64_t stride,
                         PadPair ph, PadPair pw, int64_t groups) {
  ops::Conv2dParams p;
  p.stride_h = p.stride_w = stride;
  p.pad_top = ph.before, p.pad_bottom = ph.after, p.pad_left = pw.before, p.pad_right = pw.after;
  p.groups = groups;
  const Tensor y = ops::conv2d_reference(x, f.read(n.conv + "/weight"), Tensor(), p);
  auto per_channel = [&](const std::string& what) { return f.read(n.bn + "/" + what).view({1, -1, 1, 1}); };
  const Tensor scale = ops::div(per_channel("weight"), ops::unary(ops::UnaryOp::Sqrt, ops::add_scalar(per_channel("running_var"), 1e-3)));
  return ops::add(ops::mul(ops::sub(y, per_channel("running_mean")), scale), per_channel("bias"));
}

}  // namespace

TEST_CASE("mbconv: same padding: TensorFlow's rule, extra pixel after") {
  check_pad(224, 3, 2, 0, 1);  // Keras MobileNetV2's ZeroPadding2D ((0, 1), (0, 1))
  check_pad(7, 3, 2, 1, 1);    // odd input: one on each side
  check_pad(14, 3, 1, 1, 1);
  check_pad(14, 5, 1, 2, 2);
  check_pad(56, 5, 2, 1, 2);
  check_pad(95, 5, 2, 2, 2);  // EfficientNet-B4 stage 3 at 380 px (static) ...
  check_pad(8, 1, 1, 0, 0);
  check_pad(3, 7, 2, 3, 3);
  // ... so a 224 px image gets 2 on every side there, where dynamic padding would give (1, 2).
  int64_t nominal = 380, actual = 224;
  for (int64_t stride : {2, 2}) nominal = data::ceil_div(nominal, stride), actual = data::ceil_div(actual, stride);
  CHECK(nominal == 95);
  CHECK(actual == 56);
}

TEST_CASE("mbconv: MobileNetV2 description: Keras names, channels, strides") {
  CHECK(data::keras_make_divisible(32 * 0.35) == 16);
  CHECK(data::keras_make_divisible(16 * 0.35) == 8);
  CHECK(data::keras_make_divisible(96) == 96);
  const MBConvSpec s = data::mobilenet_v2_spec();
  REQUIRE(s.blocks.size() == 17);
  CHECK(s.stem_channels == 32);
  CHECK(s.block_output_name(-1) == "Conv1_relu");
  CHECK(s.block_output_name(0) == "expanded_conv_project_BN");
  CHECK(s.block_output_name(2) == "block_2_add");
  CHECK(s.block_output_name(5) == "block_5_add");
  CHECK(s.block_output_name(9) == "block_9_add");
  CHECK(s.block_output_name(10) == "block_10_project_BN");
  CHECK(s.blocks[0].expand_ratio == 1);
  CHECK(s.blocks[3].expand.conv == "block_3_expand");
  CHECK(s.blocks[3].depthwise.bn == "block_3_depthwise_BN");
  const int64_t channels[] = {16, 24, 24, 32, 32, 32, 64, 64, 64, 64, 96, 96, 96, 160, 160, 160, 320};
  const int64_t strides[] = {2, 4, 4, 8, 8, 8, 16, 16, 16, 16, 16, 16, 16, 32, 32, 32, 32};
  for (int b = 0; b < 17; ++b) {
    CHECK(s.block_channels(b) == channels[b]);
    CHECK(s.block_stride(b) == strides[b]);
  }
  CHECK(s.head_channels == 1280);
  CHECK(test::contains(test::error_of([&] { s.block_channels(17); }), "no block 17"));
}

TEST_CASE("mbconv: folded BatchNorm, swish, squeeze-excitation and residual match the unfolded definition") {
  for (data::SamePadding pad : {data::SamePadding::Dynamic, data::SamePadding::Static}) {
    const MBConvSpec spec = tiny_spec(data::Activation::Swish, pad);
    test::TempPath path("mbconv_tiny.h5");
    test::write_random_backbone(spec, path.str(), 0, false, 7);
    const MBConvNet net = MBConvNet::load(spec, path.str(), 0);
    const Tensor x = test::randn({2, 3, 11, 10}, 8, DType::Float32);  // [B, 3, H, W]
    const std::vector<Tensor> maps = net.forward(x, {-1, 0});

    // The same computation spelled out: reference convs, BatchNorm from its statistics.
    const h5::File f = h5::File::open_read(path.str());
    auto swish = [](const Tensor& t) { return ops::unary(ops::UnaryOp::Silu, t); };
    const bool fixed = pad == data::SamePadding::Static;
    // stem: k3 s2; static pads for 13 px (1, 1) where the actual 11 x 10 gives (1, 1) x (0, 1)
    const PadPair ph = data::same_padding(fixed ? 13 : 11, 3, 2), pw = data::same_padding(fixed ? 13 : 10, 3, 2);
    const Tensor stem = swish(conv_bn_reference(f, spec.stem, x, 2, ph, pw, 1));  // [2, 4, 6, 5]
    test::check_close(std::string("stem, ") + data::same_padding_name(pad), maps[0], stem, 1e-5, 1e-5);
    const data::MBConvBlockSpec& b = spec.blocks[0];
    Tensor h = swish(conv_bn_reference(f, b.expand, stem, 1, {0, 0}, {0, 0}, 1));  // [2, 12, 6, 5]
    const PadPair p5 = data::same_padding(5, 5, 1);
    h = swish(conv_bn_reference(f, b.depthwise, h, 1, p5, p5, 12));
    const Tensor s = ops::mean(h, {2, 3}, true);  // [2, 12, 1, 1]
    ops::Conv2dParams one;
    const Tensor r = swish(ops::conv2d_reference(s, f.read("b0/se_r/weight"), f.read("b0/se_r/bias"), one));
    const Tensor e = ops::unary(ops::UnaryOp::Sigmoid,
                                ops::conv2d_reference(r, f.read("b0/se_e/weight"), f.read("b0/se_e/bias"), one));
    h = ops::mul(h, e);
    const Tensor y = ops::add(conv_bn_reference(f, b.project, h, 1, {0, 0}, {0, 0}, 1), stem);
    test::check_close(std::string("block 0 (SE, residual), ") + data::same_padding_name(pad), maps[1], y, 1e-5, 1e-5);
  }
}

TEST_CASE("mbconv: weight file errors name the file and the tensor") {
  const MBConvSpec spec = tiny_spec(data::Activation::Relu6, data::SamePadding::Dynamic);
  test::TempPath path("mbconv_bad.h5");
  test::write_random_backbone(spec, path.str(), -1, false, 1);  // the stem only
  std::string e = test::error_of([&] { MBConvNet::load(spec, path.str(), 0); });
  CHECK(test::contains(e, path.str()));
  CHECK(test::contains(e, "missing tensor 'b0/expand/weight'"));
  CHECK(test::contains(e, "[12, 4, 1, 1]"));

  MBConvSpec wider = spec;
  wider.stem_channels = 5;
  wider.blocks[0].in = 5;
  e = test::error_of([&] { MBConvNet::load(wider, path.str(), -1); });
  CHECK(test::contains(e, "tensor 'stem/weight' has shape [4, 3, 3, 3], expected [5, 3, 3, 3]"));

  MBConvSpec other = spec;
  other.architecture = "mobilenet_v2";
  e = test::error_of([&] { MBConvNet::load(other, path.str(), -1); });
  CHECK(test::contains(e, "holds tiny weights, expected mobilenet_v2"));

  const MBConvNet stem_only = MBConvNet::load(spec, path.str(), -1);
  e = test::error_of([&] { stem_only.forward(test::randn({1, 3, 8, 8}, 1, DType::Float32), {0}); });
  CHECK(test::contains(e, "block 0 is not loaded"));
  e = test::error_of([&] { stem_only.forward(test::randn({1, 4, 8, 8}, 1, DType::Float32), {-1}); });
  CHECK(test::contains(e, "[B, 3, H, W]"));

  test::TempPath plain("mbconv_plain.h5");
  h5::File::create(plain.str()).close();
  e = test::error_of([&] { MBConvNet::load(spec, plain.str(), -1); });
  CHECK(test::contains(e, "not a backbone weight file"));
  e = test::error_of([&] { MBConvNet::load(spec, "/nonexistent/weights.h5", -1); });
  CHECK(test::contains(e, "/nonexistent/weights.h5"));
}

TEST_CASE("mbconv: a batch runs image by image in parallel and gives what each image alone gives") {
  const MBConvSpec spec = tiny_spec(data::Activation::Relu6, data::SamePadding::Dynamic);
  test::TempPath path("mbconv_batch.h5");
  test::write_random_backbone(spec, path.str(), 0, false, 3);
  const MBConvNet net = MBConvNet::load(spec, path.str(), 0);
  const Tensor x = test::randn({5, 3, 9, 12}, 4, DType::Float32);  // [B, 3, H, W]
  const std::vector<Tensor> batch = net.forward(x, {0, -1});
  REQUIRE(batch.size() == 2);
  CHECK(batch[0].shape() == Shape({5, 4, 5, 6}));
  for (int64_t i = 0; i < 5; ++i) {
    const std::vector<Tensor> one = net.forward(x.slice(0, i, i + 1), {0, -1});  // one image: whole-batch path
    test::check_close("image " + std::to_string(i) + " block 0", batch[0].slice(0, i, i + 1), one[0], 0);
    test::check_close("image " + std::to_string(i) + " stem", batch[1].slice(0, i, i + 1), one[1], 0);
  }
}

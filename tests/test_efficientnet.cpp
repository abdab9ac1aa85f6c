// EfficientNet-B4 on the MBConv core against PyTorch (tools/efficientnet_reference.py, the
// lukemelas port's architecture and key names) with random weights.
//   tests/fixtures/efficientnet_golden.h5  committed: the same builder at width 0.3, depth 1.8
//     (32 blocks, B4's block indices), static padding for 380 px, input [2, 3, 64, 64], maps of
//     blocks 1, 5, 9, 21, 31 (tools/make_efficientnet_golden.py)
//   $UNIAD_EFFICIENTNET_FULL/efficientnet_b4_{random,golden}.h5  the full B4, made on demand by
//     tools/make_efficientnet_golden.py --full DIR (75 MB, never committed); skipped when unset
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>

#include "data/efficientnet_b4.h"
#include "data/mbconv.h"
#include "tensor/hdf5_io.h"
#include "test_util.h"

using namespace uniad;
using data::MBConvNet;
using data::MBConvSpec;

namespace {

std::string golden_path() { return std::string(UNIAD_FIXTURE_DIR) + "/efficientnet_golden.h5"; }

// The reduced variant's description, from the multipliers the fixture records.
MBConvSpec fixture_spec(const h5::File& f) {
  return data::efficientnet_b4_spec(f.attr_double("/", "width_coefficient"), f.attr_double("/", "depth_coefficient"),
                                    f.attr_int("/", "static_image_size"));
}

double max_abs(const Tensor& t) {
  double m = 0;
  for (double v : t.to_vector()) m = std::max(m, std::abs(v));
  return m;
}

// Runs `spec` on golden/input and compares every golden/block_N; returns the largest difference.
double compare_blocks(const MBConvSpec& spec, const std::string& weights, const h5::File& golden, double tol,
                      bool expect_match = true) {
  std::vector<int> blocks;
  for (const std::string& path : golden.list_datasets("/golden")) {
    const std::string name = path.substr(path.rfind('/') + 1);
    if (name.rfind("block_", 0) == 0) blocks.push_back(std::stoi(name.substr(6)));
  }
  std::sort(blocks.begin(), blocks.end());
  REQUIRE(!blocks.empty());
  const MBConvNet net = MBConvNet::load(spec, weights, blocks.back());
  const Tensor x = golden.read("golden/input", DType::Float32);  // [B, 3, S, S]
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<Tensor> maps = net.forward(x, blocks);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[efficientnet] forward of %s through block %d: %.3f s\n", shape_str(x.shape()).c_str(), blocks.back(),
              secs);
  double worst = 0;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const Tensor expected = golden.read("golden/block_" + std::to_string(blocks[i]), DType::Float32);
    const std::string what = "efficientnet " + spec.block_output_name(blocks[i]) + " " + shape_str(expected.shape());
    const double scale = std::max(1.0, max_abs(expected));
    if (expect_match) test::check_close(what, maps[i], expected, tol * scale, tol);
    if (maps[i].shape() == expected.shape()) worst = std::max(worst, test::max_abs_diff(maps[i], expected));
  }
  return worst;
}

// Copies a backbone weight file, leaving out dataset `drop` and writing `replace` (if defined) at
// `replace_key` instead of what was there.
void copy_weights(const std::string& from, const std::string& to, const std::string& drop,
                  const std::string& replace_key = "", const Tensor& replace = Tensor()) {
  const h5::File in = h5::File::open_read(from);
  h5::File out = h5::File::create(to);
  for (const char* attr : {"format", "architecture", "source"}) out.set_attr("/", attr, in.attr_string("/", attr));
  for (std::string key : in.list_datasets("/", true)) {
    if (!key.empty() && key[0] == '/') key = key.substr(1);
    if (key == drop || key.rfind("golden/", 0) == 0) continue;
    out.write(key, key == replace_key ? replace : in.read(key));
  }
  out.close();
}

}  // namespace

TEST_CASE("efficientnet_b4: the description is the published EfficientNet-B4") {
  const MBConvSpec s = data::efficientnet_b4_spec();
  REQUIRE(s.blocks.size() == 32);
  CHECK(s.stem_channels == 48);
  CHECK(s.head_channels == 1792);
  CHECK(s.padding == data::SamePadding::Static);
  CHECK(s.static_image_size == 380);
  CHECK(s.activation == data::Activation::Swish);
  const int feature[] = {1, 5, 9, 21, 31};
  const int64_t channels[] = {24, 32, 56, 160, 448}, strides[] = {2, 4, 8, 16, 32};
  for (int i = 0; i < 5; ++i) {
    CHECK(s.block_channels(feature[i]) == channels[i]);
    CHECK(s.block_stride(feature[i]) == strides[i]);
  }
  // Squeeze-excitation from the block's input channels, expansion 1 in stage 0 only.
  CHECK(s.blocks[0].se_width == 12);
  CHECK(s.blocks[1].se_width == 6);
  CHECK(s.blocks[31].se_width == 112);
  CHECK(s.blocks[1].expand_ratio == 1);
  CHECK(s.blocks[2].expand_ratio == 6);
  CHECK((s.blocks[6].kernel == 5 && s.blocks[6].stride == 2 && s.blocks[6].in == 32 && s.blocks[6].out == 56));
  CHECK(s.blocks[6].depthwise.conv == "_blocks/6/_depthwise_conv");
  CHECK(s.blocks[6].se_reduce == "_blocks/6/_se_reduce");
  CHECK(!s.blocks[0].residual());
  CHECK(s.blocks[1].residual());
  // Parameter count of lukemelas' / torchvision's EfficientNet-B4, 19,341,616 with the 1000-class
  // classifier: every shape here is right or the sum is off.
  int64_t params = s.stem_channels * 27 + 2 * s.stem_channels;
  for (const data::MBConvBlockSpec& b : s.blocks) {
    const int64_t e = b.expanded();
    if (b.expand_ratio > 1) params += e * b.in + 2 * e;
    params += e * b.kernel * b.kernel + 2 * e;
    params += 2 * e * b.se_width + b.se_width + e;
    params += b.out * e + 2 * b.out;
  }
  params += s.head_channels * s.blocks.back().out + 2 * s.head_channels;
  params += 1000 * s.head_channels + 1000;
  CHECK(params == 19341616);
  // The one conv where static padding for 380 differs from dynamic padding at 224 px.
  const data::PadPair stat = data::same_padding(95, 5, 2), dyn = data::same_padding(56, 5, 2);
  CHECK((stat.before == 2 && stat.after == 2 && dyn.before == 1 && dyn.after == 2));

  const data::BackboneDefinition def = data::efficientnet_b4_definition();
  CHECK(def.default_blocks == std::vector<int>({1, 5, 9, 21}));
  CHECK(data::efficientnet_b4_cifar_blocks() == std::vector<int>({1, 5, 9, 21, 31}));
  CHECK(data::efficientnet_round_filters(112, 1.4) == 160);
  CHECK(data::efficientnet_round_filters(40, 0.25) == 16);  // 8 would be more than 10% down
  CHECK(data::efficientnet_round_repeats(3, 1.8) == 6);
}

TEST_CASE("efficientnet_b4: widths the MBConv core cannot express are refused") {
  // Width 0.25 makes stage 0's first block 8 -> 8 at stride 1, where the port adds no residual.
  const std::string e = test::error_of([] { data::efficientnet_b4_spec(0.25, 1.8); });
  CHECK(test::contains(e, "_blocks.0"));
  CHECK(test::contains(e, "residual"));
  CHECK(test::contains(test::error_of([] { data::efficientnet_b4_spec(0, 1.8); }), "positive"));
}

TEST_CASE("efficientnet golden: the reduced B4 matches PyTorch at blocks 1, 5, 9, 21, 31") {
  const h5::File f = h5::File::open_read(golden_path());
  const MBConvSpec spec = fixture_spec(f);
  CHECK(spec.blocks.size() == 32);
  compare_blocks(spec, golden_path(), f, 1e-4);

  // The fixture tells static from dynamic padding: block 6 pads (1, 2) instead of (2, 2).
  MBConvSpec dynamic = spec;
  dynamic.padding = data::SamePadding::Dynamic;
  const double off = compare_blocks(dynamic, golden_path(), f, 1e-4, false);
  std::printf("[efficientnet] with dynamic padding instead: max |diff| = %.3e\n", off);
  CHECK(off > 0.05);
}

TEST_CASE("efficientnet load errors name the file and the tensor") {
  const std::string src = golden_path();
  const MBConvSpec spec = fixture_spec(h5::File::open_read(src));
  test::TempPath path("effnet_broken.h5");

  copy_weights(src, path.str(), "_blocks/6/_bn1/running_var");
  std::string e = test::error_of([&] { MBConvNet::load(spec, path.str(), 31); });
  CHECK(test::contains(e, path.str()));
  CHECK(test::contains(e, "missing tensor '_blocks/6/_bn1/running_var'"));
  CHECK_NOTHROW(MBConvNet::load(spec, path.str(), 5));  // only what is loaded has to be there

  copy_weights(src, path.str(), "", "_blocks/6/_depthwise_conv/weight", Tensor::zeros({spec.blocks[6].expanded(), 1, 3, 3}));
  e = test::error_of([&] { MBConvNet::load(spec, path.str(), 9); });
  CHECK(test::contains(e, path.str()));
  CHECK(test::contains(e, "'_blocks/6/_depthwise_conv/weight' has shape [48, 1, 3, 3], expected [48, 1, 5, 5]"));

  // The reduced fixture is not B4: the stem already disagrees. It holds no head either.
  e = test::error_of([&] { MBConvNet::load(data::efficientnet_b4_spec(), src, 21); });
  CHECK(test::contains(e, "'_conv_stem/weight' has shape [16, 3, 3, 3], expected [48, 3, 3, 3]"));
  e = test::error_of([&] { MBConvNet::load(spec, src, 31, true); });
  CHECK(test::contains(e, "missing tensor '_conv_head/weight'"));
}

TEST_CASE("efficientnet golden: EfficientNet-B4 full size (UNIAD_EFFICIENTNET_FULL)") {
  const char* dir = std::getenv("UNIAD_EFFICIENTNET_FULL");
  if (dir == nullptr || *dir == 0) {
    std::printf("[efficientnet] full-size check skipped: set UNIAD_EFFICIENTNET_FULL to a folder made by\n"
                "    /usr/bin/python3 tools/make_efficientnet_golden.py --full DIR\n");
    return;
  }
  const std::string weights = std::string(dir) + "/efficientnet_b4_random.h5";
  const h5::File golden = h5::File::open_read(std::string(dir) + "/efficientnet_b4_golden.h5");
  const double worst = compare_blocks(data::efficientnet_b4_spec(), weights, golden, 1e-4);
  std::printf("[efficientnet] full B4, all feature blocks: max |diff| = %.3e\n", worst);
}

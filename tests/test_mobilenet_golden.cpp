// The MBConv backbone against PyTorch (tools/mobilenet_v2_reference.py) on random weights:
// fixtures from tools/make_mobilenet_golden.py, each a backbone weight file with golden/ outputs.
//   mobilenet_golden_v2.h5  MobileNetV2 at width 0.35 (Keras names, head 32, Dense 16-8-5),
//                           input [2, 3, 42, 34]: stem, all 17 blocks, head, probabilities
//   mobilenet_golden_se.h5  an EfficientNet-style net: swish, squeeze-excitation, 5x5 kernels,
//                           static padding for 38 px on a 32 px input
#include <string>

#include "data/mbconv.h"
#include "data/mobilenet_v2.h"
#include "tensor/hdf5_io.h"
#include "test_util.h"

using namespace uniad;
using data::MBConvNet;
using data::MBConvSpec;

namespace {

std::string fixture(const std::string& name) { return std::string(UNIAD_FIXTURE_DIR) + "/" + name; }

// Keep in sync with se_spec() in tools/make_mobilenet_golden.py.
MBConvSpec se_spec() {
  MBConvSpec s;
  s.architecture = "efficientnet_test";
  s.activation = data::Activation::Swish;
  s.padding = data::SamePadding::Static;
  s.static_image_size = 38;
  s.stem = {"_conv_stem", "_bn0"};
  s.stem_output_name = "_conv_stem";
  s.stem_channels = 16;
  struct B {
    int64_t in, out, e, k, s, se;
  };
  const B blocks[] = {{16, 8, 1, 3, 1, 4}, {8, 12, 6, 3, 2, 2}, {12, 12, 6, 5, 1, 3}, {12, 20, 6, 5, 2, 3},
                      {20, 20, 4, 3, 1, 5}};
  for (int i = 0; i < 5; ++i) {
    const B& b = blocks[i];
    const std::string p = "_blocks/" + std::to_string(i) + "/";
    data::MBConvBlockSpec m;
    m.name = m.output_name = "_blocks." + std::to_string(i);
    m.in = b.in, m.out = b.out, m.expand_ratio = b.e, m.kernel = b.k, m.stride = b.s, m.se_width = b.se;
    m.expand = {p + "_expand_conv", p + "_bn0"};
    m.depthwise = {p + "_depthwise_conv", p + "_bn1"};
    m.project = {p + "_project_conv", p + "_bn2"};
    m.se_reduce = p + "_se_reduce";
    m.se_expand = p + "_se_expand";
    s.blocks.push_back(m);
  }
  s.head = {"_conv_head", "_bn1"};
  s.head_channels = 32;
  return s;
}

// Every block's map and the head against the fixture; returns the largest difference seen.
double compare_all(const MBConvSpec& spec, const std::string& path, double tol, bool expect_match = true) {
  const int n = static_cast<int>(spec.blocks.size());
  const MBConvNet net = MBConvNet::load(spec, path, n - 1, true);
  const h5::File f = h5::File::open_read(path);
  const Tensor x = f.read("golden/input", DType::Float32);  // [B, 3, H, W]
  std::vector<int> all;
  for (int b = -1; b < n; ++b) all.push_back(b);
  const std::vector<Tensor> maps = net.forward(x, all);
  double worst = 0;
  for (int b = -1; b < n; ++b) {
    const Tensor expected = f.read("golden/block_" + std::to_string(b));
    const std::string what = spec.architecture + " " + spec.block_output_name(b);
    if (expect_match) test::check_close(what, maps[b + 1], expected, tol, tol);
    if (maps[b + 1].shape() == expected.shape()) worst = std::max(worst, test::max_abs_diff(maps[b + 1], expected));
  }
  if (expect_match) test::check_close(spec.architecture + " head", net.head(maps.back()), f.read("golden/head"), tol, tol);
  return worst;
}

}  // namespace

TEST_CASE("mobilenet golden: MobileNetV2 (width 0.35) matches PyTorch on every block, the head and the classifier") {
  const std::string path = fixture("mobilenet_golden_v2.h5");
  compare_all(data::mobilenet_v2_spec(0.35, 32), path, 1e-4);
  const data::MobileNetV2Classifier c = data::MobileNetV2Classifier::load(path, 0.35, 32);
  const h5::File f = h5::File::open_read(path);
  CHECK(c.classes() == 5);
  test::check_close("mobilenet_v2 (0.35) probabilities", c.probabilities(f.read("golden/input", DType::Float32)),
                    f.read("golden/probabilities"), 1e-5);
}

TEST_CASE("mobilenet golden: squeeze-excitation, swish and static padding match PyTorch") {
  const std::string path = fixture("mobilenet_golden_se.h5");
  compare_all(se_spec(), path, 1e-4);
  // The fixture can tell the padding rules apart: dynamic padding pads block 1's stride-2
  // depthwise conv (0, 1) instead of the static (1, 1) and misses.
  MBConvSpec dynamic = se_spec();
  dynamic.padding = data::SamePadding::Dynamic;
  const double diff = compare_all(dynamic, path, 1e-4, false);
  std::printf("[compare] dynamic padding on the static-padding fixture     max |diff| = %.3e (must be large)\n", diff);
  CHECK(diff > 1e-2);
}

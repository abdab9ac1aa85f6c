// The EfficientNet description (efficientnet_pytorch utils.py and model.py, version 0.7).
#include "data/efficientnet_b4.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "tensor/error.h"

namespace uniad::data {

namespace {

// The B0 table, as the port's block strings 'r1_k3_s11_e1_i32_o16_se0.25', ... say it.
struct Stage {
  int64_t repeats, kernel, stride, expand, in, out;
};
constexpr Stage kB0Stages[] = {{1, 3, 1, 1, 32, 16},   {2, 3, 2, 6, 16, 24},   {2, 5, 2, 6, 24, 40},
                               {3, 3, 2, 6, 40, 80},   {3, 5, 1, 6, 80, 112},  {4, 5, 2, 6, 112, 192},
                               {1, 3, 1, 6, 192, 320}};
constexpr double kSERatio = 0.25;
constexpr int64_t kDivisor = 8;

}  // namespace

int64_t efficientnet_round_filters(int64_t filters, double width) {
  const double scaled = static_cast<double>(filters) * width;  // the same double arithmetic as Python
  int64_t rounded = std::max<int64_t>(kDivisor, static_cast<int64_t>(scaled + kDivisor / 2.0) / kDivisor * kDivisor);
  if (static_cast<double>(rounded) < 0.9 * scaled) rounded += kDivisor;
  return rounded;
}

int64_t efficientnet_round_repeats(int64_t repeats, double depth) {
  return static_cast<int64_t>(std::ceil(depth * static_cast<double>(repeats)));
}

MBConvSpec efficientnet_b4_spec(double width, double depth, int64_t static_image_size) {
  UNIAD_CHECK(width > 0 && depth > 0 && static_image_size > 0, "efficientnet_b4: width ", width, ", depth ", depth,
              " and static image size ", static_image_size, " must be positive");
  MBConvSpec s;
  s.architecture = "efficientnet_b4";
  s.activation = Activation::Swish;
  s.padding = SamePadding::Static;
  s.static_image_size = static_image_size;
  s.bn_eps = 1e-3;
  s.stem = {"_conv_stem", "_bn0"};
  s.stem_output_name = "_conv_stem";
  s.stem_channels = efficientnet_round_filters(32, width);
  s.stem_kernel = 3;
  s.stem_stride = 2;
  for (const Stage& st : kB0Stages) {
    const int64_t out = efficientnet_round_filters(st.out, width);
    const int64_t repeats = efficientnet_round_repeats(st.repeats, depth);
    for (int64_t r = 0; r < repeats; ++r) {
      const std::string id = std::to_string(s.blocks.size());
      const std::string p = "_blocks/" + id + "/";
      MBConvBlockSpec b;
      b.name = b.output_name = "_blocks." + id;
      b.in = r == 0 ? efficientnet_round_filters(st.in, width) : out;
      b.out = out;
      b.expand_ratio = st.expand;
      b.kernel = st.kernel;
      b.stride = r == 0 ? st.stride : 1;
      b.se_width = std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(b.in) * kSERatio));
      b.expand = {p + "_expand_conv", p + "_bn0"};
      b.depthwise = {p + "_depthwise_conv", p + "_bn1"};
      b.project = {p + "_project_conv", p + "_bn2"};
      b.se_reduce = p + "_se_reduce";
      b.se_expand = p + "_se_expand";
      // The port holds a stage's first stride as the list [s] and tests `stride == 1`, so that
      // block never gets the residual; MBConvNet adds it whenever stride 1 and in == out.
      UNIAD_CHECK(r > 0 || !b.residual(), "efficientnet_b4: width ", width, " gives ", b.name, " (first of its stage) ",
                  b.in, " -> ", b.out, " channels at stride 1; the PyTorch port adds no residual there and MBConvNet "
                  "cannot leave it out; choose another width");
      s.blocks.push_back(b);
    }
  }
  s.head = {"_conv_head", "_bn1"};
  s.head_channels = efficientnet_round_filters(1280, width);
  s.validate();
  return s;
}

BackboneDefinition efficientnet_b4_definition() { return {efficientnet_b4_spec(), {1, 5, 9, 21}}; }

const std::vector<int>& efficientnet_b4_cifar_blocks() {
  static const std::vector<int> blocks = {1, 5, 9, 21, 31};
  return blocks;
}

}  // namespace uniad::data

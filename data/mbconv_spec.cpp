// The parts of the MBConv description that need no weights: names, strides, padding, checks.
#include "data/mbconv.h"

#include <algorithm>

#include "tensor/error.h"

namespace uniad::data {

const char* activation_name(Activation a) { return a == Activation::Relu6 ? "relu6" : "swish"; }
const char* same_padding_name(SamePadding p) { return p == SamePadding::Dynamic ? "dynamic" : "static"; }

PadPair same_padding(int64_t n, int64_t kernel, int64_t stride) {
  const int64_t total = std::max<int64_t>((ceil_div(n, stride) - 1) * stride + kernel - n, 0);
  return {total / 2, total - total / 2};
}

int64_t MBConvSpec::block_channels(int b) const {
  UNIAD_CHECK(b >= -1 && b < static_cast<int>(blocks.size()), architecture, ": no block ", b, " (blocks -1 (stem) to ",
              blocks.size() - 1, ")");
  return b < 0 ? stem_channels : blocks[b].out;
}

int64_t MBConvSpec::block_stride(int b) const {
  block_channels(b);  // range check
  int64_t s = stem_stride;
  for (int i = 0; i <= b; ++i) s *= blocks[i].stride;
  return s;
}

std::string MBConvSpec::block_output_name(int b) const {
  block_channels(b);
  return b < 0 ? stem_output_name : blocks[b].output_name;
}

void MBConvSpec::validate() const {
  UNIAD_CHECK(!blocks.empty(), architecture, ": the description has no blocks");
  UNIAD_CHECK(padding == SamePadding::Dynamic || static_image_size > 0, architecture,
              ": static padding needs static_image_size > 0");
  UNIAD_CHECK(stem_channels > 0 && stem_kernel > 0 && stem_stride > 0, architecture, ": bad stem (channels ",
              stem_channels, ", kernel ", stem_kernel, ", stride ", stem_stride, ")");
  int64_t channels = stem_channels;
  for (const MBConvBlockSpec& b : blocks) {
    UNIAD_CHECK(b.in == channels, architecture, ": ", b.name, " takes ", b.in, " channels but receives ", channels);
    UNIAD_CHECK(b.out > 0 && b.expand_ratio >= 1 && b.kernel >= 1 && b.stride >= 1 && b.se_width >= 0, architecture,
                ": ", b.name, ": bad sizes (out ", b.out, ", expand ", b.expand_ratio, ", kernel ", b.kernel,
                ", stride ", b.stride, ", se ", b.se_width, ")");
    channels = b.out;
  }
  UNIAD_CHECK(!has_head() || head_channels > 0, architecture, ": head without channels");
}

}  // namespace uniad::data

#pragma once
// Helpers for the MBConv backbone tests: backbone weight files with random weights for any
// description, written the way the real ones are (docs/backbones.md).
#include <string>

#include "data/mbconv.h"
#include "tensor/hdf5_io.h"
#include "tensor/random.h"

namespace uniad::test {

// Writes every tensor that MBConvNet::load(spec, path, last_block, with_head) reads, random:
// conv weights N(0, 2 / fan_in), BatchNorm statistics near (1, 0), conv biases N(0, 0.1).
// last_imagenet_block >= 0 is recorded as the root attribute of that name (as nsfwjs's has).
inline void write_random_backbone(const data::MBConvSpec& spec, const std::string& path, int last_block,
                                  bool with_head, uint64_t seed, int64_t last_imagenet_block = -1) {
  Generator gen(seed);
  h5::File f = h5::File::create(path);
  f.set_attr("/", "format", "uniad-backbone-v1");
  f.set_attr("/", "architecture", spec.architecture);
  f.set_attr("/", "source", "random weights (tests)");
  if (last_imagenet_block >= 0) f.set_attr("/", "last_imagenet_block", last_imagenet_block);
  auto conv = [&](const std::string& key, const Shape& shape, bool bias) {
    const double fan_in = double(shape[1] * shape[2] * shape[3]);
    f.write(key + "/weight", rand_normal(shape, 0, std::sqrt(2 / fan_in), gen));
    if (bias) f.write(key + "/bias", rand_normal({shape[0]}, 0, 0.1, gen));
  };
  auto conv_bn = [&](const data::ConvBNNames& n, const Shape& shape) {
    conv(n.conv, shape, false);
    f.write(n.bn + "/weight", rand_uniform({shape[0]}, 0.7, 1.3, gen));
    f.write(n.bn + "/bias", rand_normal({shape[0]}, 0, 0.2, gen));
    f.write(n.bn + "/running_mean", rand_normal({shape[0]}, 0, 0.2, gen));
    f.write(n.bn + "/running_var", rand_uniform({shape[0]}, 0.5, 1.5, gen));
  };
  conv_bn(spec.stem, {spec.stem_channels, 3, spec.stem_kernel, spec.stem_kernel});
  for (int i = 0; i <= last_block; ++i) {
    const data::MBConvBlockSpec& b = spec.blocks[i];
    const int64_t e = b.expanded();
    if (b.expand_ratio > 1) conv_bn(b.expand, {e, b.in, 1, 1});
    conv_bn(b.depthwise, {e, 1, b.kernel, b.kernel});
    if (b.se_width > 0) {
      conv(b.se_reduce, {b.se_width, e, 1, 1}, true);
      conv(b.se_expand, {e, b.se_width, 1, 1}, true);
    }
    conv_bn(b.project, {b.out, e, 1, 1});
  }
  if (with_head) conv_bn(spec.head, {spec.head_channels, spec.blocks.back().out, 1, 1});
  f.close();
}

}  // namespace uniad::test

// MBConvNet::load: reads one backbone weight file (docs/backbones.md) and folds every BatchNorm
// into the conv before it, so that the forward pass is convs, activations and adds only.
#include <cmath>

#include "data/mbconv.h"
#include "tensor/error.h"
#include "tensor/hdf5_io.h"

namespace uniad::data {

namespace {

constexpr const char* kFormat = "uniad-backbone-v1";

// Reads tensors by key and says which file, key, layer and shape when one is missing or wrong.
struct WeightReader {
  const h5::File& file;
  double eps;

  Tensor tensor(const std::string& key, const Shape& shape, const std::string& what) const {
    UNIAD_CHECK(file.exists(key), file.path(), ": missing tensor '", key, "' (", what, ", expected ",
                shape_str(shape), ")");
    const Tensor t = file.read(key);
    UNIAD_CHECK(t.dtype() == DType::Float32, file.path(), ": tensor '", key, "' is ", dtype_name(t.dtype()),
                ", expected float32 (", what, ")");
    UNIAD_CHECK(t.shape() == shape, file.path(), ": tensor '", key, "' has shape ", shape_str(t.shape()),
                ", expected ", shape_str(shape), " (", what, ")");
    return t;
  }

  // conv weight [O, I, kH, kW] and BatchNorm [O] x 4 -> w * g, beta - mean * g,
  // g = gamma / sqrt(var + eps), computed in double.
  MBConvNet::FoldedConv conv_bn(const ConvBNNames& names, const Shape& wshape, const std::string& what) const {
    const Tensor w = tensor(names.conv + "/weight", wshape, what + " conv");
    const int64_t O = wshape[0], per = w.numel() / O;
    const Shape c{O};
    const Tensor gamma = tensor(names.bn + "/weight", c, what + " BatchNorm");
    const Tensor beta = tensor(names.bn + "/bias", c, what + " BatchNorm");
    const Tensor mean = tensor(names.bn + "/running_mean", c, what + " BatchNorm");
    const Tensor var = tensor(names.bn + "/running_var", c, what + " BatchNorm");
    MBConvNet::FoldedConv f{Tensor::empty(wshape), Tensor::empty(c)};
    const float *w0 = w.data<float>(), *g0 = gamma.data<float>(), *b0 = beta.data<float>();
    const float *m0 = mean.data<float>(), *v0 = var.data<float>();
    float *fw = f.weight.data<float>(), *fb = f.bias.data<float>();
    for (int64_t o = 0; o < O; ++o) {
      UNIAD_CHECK(v0[o] >= 0, file.path(), ": tensor '", names.bn, "/running_var' has a negative entry ", v0[o],
                  " at ", o);
      const double g = double(g0[o]) / std::sqrt(double(v0[o]) + eps);
      for (int64_t i = 0; i < per; ++i) fw[o * per + i] = static_cast<float>(w0[o * per + i] * g);
      fb[o] = static_cast<float>(b0[o] - m0[o] * g);
    }
    return f;
  }

  // A conv with its own bias (squeeze-excitation): weight [O, I, 1, 1], bias [O].
  MBConvNet::FoldedConv conv_bias(const std::string& key, const Shape& wshape, const std::string& what) const {
    return {tensor(key + "/weight", wshape, what), tensor(key + "/bias", {wshape[0]}, what + " bias")};
  }
};

void check_attributes(const h5::File& file, const MBConvSpec& spec) {
  UNIAD_CHECK(file.has_attr("/", "format") && file.attr_string("/", "format") == kFormat, file.path(),
              ": not a backbone weight file (root attribute format must be '", kFormat, "'; see docs/backbones.md)");
  UNIAD_CHECK(file.has_attr("/", "architecture"), file.path(), ": root attribute 'architecture' is missing");
  const std::string arch = file.attr_string("/", "architecture");
  UNIAD_CHECK(arch == spec.architecture, file.path(), ": holds ", arch, " weights, expected ", spec.architecture);
}

}  // namespace

MBConvNet MBConvNet::load(const MBConvSpec& spec, const std::string& path, int last_block, bool with_head) {
  spec.validate();
  const int n = static_cast<int>(spec.blocks.size());
  UNIAD_CHECK(last_block >= -1 && last_block < n, spec.architecture, ": cannot load up to block ", last_block,
              " (blocks 0 to ", n - 1, ")");
  UNIAD_CHECK(!with_head || (spec.has_head() && last_block == n - 1), spec.architecture,
              ": the head needs every block loaded", spec.has_head() ? "" : " and a head in the description");
  const h5::File file = h5::File::open_read(path);
  check_attributes(file, spec);
  const WeightReader r{file, spec.bn_eps};

  MBConvNet net;
  net.spec_ = spec;
  net.source_ = path;
  net.stem_ = r.conv_bn(spec.stem, {spec.stem_channels, 3, spec.stem_kernel, spec.stem_kernel}, "stem");
  for (int i = 0; i <= last_block; ++i) {
    const MBConvBlockSpec& b = spec.blocks[i];
    const int64_t e = b.expanded();
    Block blk;
    if (b.expand_ratio > 1) blk.expand = r.conv_bn(b.expand, {e, b.in, 1, 1}, b.name + " expand");
    blk.depthwise = r.conv_bn(b.depthwise, {e, 1, b.kernel, b.kernel}, b.name + " depthwise");
    if (b.se_width > 0) {
      blk.se_reduce = r.conv_bias(b.se_reduce, {b.se_width, e, 1, 1}, b.name + " squeeze-excitation reduce");
      blk.se_expand = r.conv_bias(b.se_expand, {e, b.se_width, 1, 1}, b.name + " squeeze-excitation expand");
    }
    blk.project = r.conv_bn(b.project, {b.out, e, 1, 1}, b.name + " project");
    net.blocks_.push_back(std::move(blk));
  }
  if (with_head) net.head_ = r.conv_bn(spec.head, {spec.head_channels, spec.blocks.back().out, 1, 1}, "head");
  return net;
}

}  // namespace uniad::data

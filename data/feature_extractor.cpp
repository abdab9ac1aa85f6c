// make_feature_extractor: an MBConv backbone (data/mbconv.h) plus the neck (resize every chosen
// block's map to G x G, bilinear align_corners=True or area means, concatenate, optionally a
// local mean over each token's neighbourhood).
#include "data/feature_extractor.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "data/backbone.h"
#include "data/mbconv.h"
#include "data/resize.h"
#include "tensor/error.h"
#include "tensor/hdf5_io.h"
#include "tensor/join.h"
#include "tensor/pool.h"
#include "tensor/resize.h"
#include "tensor/strided_loop.h"

namespace uniad::data {

const char* input_scaling_name(InputScaling scaling) {
  switch (scaling) {
    case InputScaling::ImageNet: return "imagenet";
    case InputScaling::Unit: return "unit";
    case InputScaling::Symmetric: return "symmetric";
    case InputScaling::Auto: return "auto";
  }
  return "?";
}

InputScaling parse_input_scaling(const std::string& name) {
  for (InputScaling s : {InputScaling::ImageNet, InputScaling::Unit, InputScaling::Symmetric, InputScaling::Auto})
    if (name == input_scaling_name(s)) return s;
  throw Error(cat("unknown input scaling '", name, "' (choose imagenet, unit, symmetric or auto)"));
}

namespace {

// x [B, C, G, G] contiguous float32 -> the mean over the k x k window around each token, the
// window clipped at the border (so edge tokens average fewer neighbours, none of them padding).
Tensor local_mean(const Tensor& x, int k) {
  const int64_t B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3), r = k / 2;
  Tensor out = Tensor::empty(x.shape(), DType::Float32);
  const float* in = x.data<float>();
  float* o = out.data<float>();
#pragma omp parallel for schedule(static)
  for (int64_t bc = 0; bc < B * C; ++bc) {
    const float* plane = in + bc * H * W;
    for (int64_t y = 0; y < H; ++y)
      for (int64_t xx = 0; xx < W; ++xx) {
        double sum = 0;
        int64_t n = 0;
        for (int64_t yy = std::max<int64_t>(0, y - r); yy <= std::min(H - 1, y + r); ++yy)
          for (int64_t xk = std::max<int64_t>(0, xx - r); xk <= std::min(W - 1, xx + r); ++xk, ++n)
            sum += plane[yy * W + xk];
        o[bc * H * W + y * W + xx] = static_cast<float>(sum / static_cast<double>(n));
      }
  }
  return out;
}

// x [B, 3, S, S] in [0, 1] -> the backbone's input, a fresh tensor: y = x * a[c] + b[c].
Tensor scale_input(const Tensor& images, InputScaling scaling) {
  float a[3] = {1, 1, 1}, b[3] = {0, 0, 0};
  if (scaling == InputScaling::Symmetric)
    for (int c = 0; c < 3; ++c) a[c] = 2, b[c] = -1;
  if (scaling == InputScaling::ImageNet)
    for (int c = 0; c < 3; ++c) a[c] = 1 / kImageNetStd[c], b[c] = -kImageNetMean[c] / kImageNetStd[c];
  const Tensor x = images.contiguous();
  Tensor y = Tensor::empty(x.shape());  // [B, 3, S, S]
  const int64_t planes = x.size(0) * 3, L = x.size(2) * x.size(3);
  const float* x0 = x.data<float>();
  float* y0 = y.data<float>();
#pragma omp parallel for schedule(static) if (x.numel() >= kParallelGrain)
  for (int64_t p = 0; p < planes; ++p) {
    const int c = static_cast<int>(p % 3);
    for (int64_t i = 0; i < L; ++i) y0[p * L + i] = x0[p * L + i] * a[c] + b[c];
  }
  return y;
}

class MBConvFeatureExtractor : public FeatureExtractor {
 public:
  MBConvFeatureExtractor(const FeatureExtractorConfig& config, BackboneDefinition def)
      : config_(config), blocks_(config.feature_blocks.empty() ? def.default_blocks : config.feature_blocks) {
    if (config_.scaling == InputScaling::Auto) config_.scaling = def.default_scaling;
    const MBConvSpec& spec = def.spec;
    UNIAD_CHECK(config.input_size >= 16 && config.input_size % 16 == 0, config.backbone, ": input size ",
                config.input_size, " must be a positive multiple of 16");
    check_feature_blocks(spec, blocks_);
    UNIAD_CHECK(config.neighbourhood >= 1 && config.neighbourhood % 2 == 1, config.backbone,
                ": the neighbourhood window must be odd and >= 1, got ", config.neighbourhood);
    {  // weights past this block were trained for another task (nsfwjs's MobileNetV2)
      const h5::File file = h5::File::open_read(config.weights);
      if (file.has_attr("/", "architecture"))
        UNIAD_CHECK(file.attr_string("/", "architecture") == spec.architecture, config.weights, ": holds ",
                    file.attr_string("/", "architecture"), " weights, but backbone '", config.backbone, "' was asked for");
      if (file.has_attr("/", "last_imagenet_block")) {
        const int64_t last = file.attr_int("/", "last_imagenet_block");
        UNIAD_CHECK(blocks_.back() <= last, config.backbone, ": feature block ", blocks_.back(), " (",
                    spec.block_output_name(blocks_.back()), ") is past ", spec.block_output_name(last), "; ",
                    config.weights, " says layers after it were fine-tuned for another task, not ImageNet ",
                    "(see docs/backbones.md)");
      }
    }
    net_ = MBConvNet::load(spec, config.weights, blocks_.back());
    for (int b : blocks_) channels_ += spec.block_channels(b);
  }

  Tensor extract(const Tensor& images) override {
    const int64_t S = config_.input_size;
    UNIAD_CHECK(images.defined() && images.dim() == 4 && images.size(1) == 3 && images.size(2) == S &&
                    images.size(3) == S && images.dtype() == DType::Float32,
                config_.backbone, ": images must be float32 [B, 3, ", S, ", ", S, "], got ",
                images.defined() ? shape_str(images.shape()) : "undefined");
    std::vector<Tensor> maps = net_.forward(scale_input(images, config_.scaling), blocks_);
    const int64_t G = grid();
    for (Tensor& m : maps) {  // [B, C_b, S / stride_b, ...] -> [B, C_b, G, G]
      if (m.size(2) == G && m.size(3) == G) continue;
      const bool finer = m.size(2) > G && m.size(3) > G;
      m = finer && config_.resample == "area" ? ops::adaptive_avg_pool2d(m, G, G) : ops::resize_bilinear(m, G, G, true);
    }
    Tensor features = maps.size() == 1 ? maps[0] : ops::concat(maps, 1);  // [B, C, G, G]
    return config_.neighbourhood > 1 ? local_mean(features.contiguous(), config_.neighbourhood) : features;
  }

  int64_t channels() const override { return channels_; }
  int grid() const override { return config_.input_size / 16; }

  std::string describe() const override {
    const MBConvSpec& spec = net_.spec();
    nlohmann::json j;
    j["backbone"] = config_.backbone;
    j["weights"] = config_.weights;
    j["blocks"] = blocks_;
    j["resample"] = config_.resample;
    j["neighbourhood"] = config_.neighbourhood;
    std::vector<std::string> layers;
    std::vector<int64_t> strides, channels;
    for (int b : blocks_) {
      layers.push_back(spec.block_output_name(b));
      strides.push_back(spec.block_stride(b));
      channels.push_back(spec.block_channels(b));
    }
    j["layers"] = layers;
    j["strides"] = strides;
    j["channels"] = channels;
    j["input_size"] = config_.input_size;
    j["scaling"] = input_scaling_name(config_.scaling);
    j["grid"] = grid();
    j["feature_channels"] = channels_;
    return j.dump();
  }

 private:
  FeatureExtractorConfig config_;
  std::vector<int> blocks_;
  MBConvNet net_;
  int64_t channels_ = 0;
};

}  // namespace

std::unique_ptr<FeatureExtractor> make_feature_extractor(const FeatureExtractorConfig& config) {
  return std::make_unique<MBConvFeatureExtractor>(config, backbone_definition(config.backbone));
}

}  // namespace uniad::data

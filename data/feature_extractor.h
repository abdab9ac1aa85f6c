#pragma once
// The frozen backbone plus the MFCN neck: images in, UniAD's target features out.
//
// Dimension letters: B images, S input side (224), C feature channels, G token-grid side
// (S / 16, i.e. 14). The trainer never sees this: `uniad features` runs it once over a data set
// and caches the result (data/feature_cache.h), so training never re-runs the backbone.
#include <memory>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace uniad::data {

// How 8-bit pixels become backbone inputs. The extractor receives pixel / 255 and applies this.
//   imagenet:  (x - mean) / std per channel (torchvision; the EfficientNet reference)
//   unit:      x                             (what nsfwjs feeds its MobileNetV2)
//   symmetric: 2x - 1                        (Keras MobileNetV2's preprocess_input)
//   auto:      the backbone's own default (data/backbone.h): imagenet for EfficientNet-B4,
//              unit for MobileNetV2 (its first BatchNorm's statistics fit x/255 best)
enum class InputScaling { ImageNet, Unit, Symmetric, Auto };
const char* input_scaling_name(InputScaling scaling);
InputScaling parse_input_scaling(const std::string& name);  // error lists the choices

struct FeatureExtractorConfig {
  std::string backbone = "mobilenet_v2";  // mobilenet_v2 | efficientnet_b4
  std::string weights;                    // the project's HDF5 weight file for that backbone
  std::vector<int> feature_blocks;        // empty: the backbone's default feature set
  int input_size = 224;                   // S; must be a multiple of 16
  InputScaling scaling = InputScaling::Auto;
  // How a block's map finer than G x G comes down to the grid: "bilinear" (the paper's neck,
  // align_corners=True, which samples one point per cell and so aliases) or "area" (the mean
  // over each cell: adaptive average pooling). Coarser maps are always upsampled bilinearly.
  std::string resample = "bilinear";
  // Odd window k >= 1: after concatenation every token becomes the mean of the k x k tokens
  // around it (clipped at the border), as PatchCore's locally aware patch features; 1 = off.
  int neighbourhood = 1;
};

class FeatureExtractor {
 public:
  virtual ~FeatureExtractor() = default;
  // images: float32 [B, 3, S, S], RGB, pixel / 255 in [0, 1].
  // returns float32 [B, C, G, G]: every chosen block's map resized to G x G (bilinear,
  // align_corners=True), concatenated along channels in block order.
  virtual Tensor extract(const Tensor& images) = 0;
  virtual int64_t channels() const = 0;  // C
  virtual int grid() const = 0;          // G
  // A one-line JSON object naming backbone, weights file, blocks, their strides and channels,
  // input size and scaling; written into the feature cache so a cache says how it was made.
  virtual std::string describe() const = 0;
};

// Loads the weights and builds the extractor. Errors name the weight file and the missing or
// mis-shaped tensor.
std::unique_ptr<FeatureExtractor> make_feature_extractor(const FeatureExtractorConfig& config);

}  // namespace uniad::data

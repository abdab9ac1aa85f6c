#include "data/feature_extractor.h"

#include "tensor/error.h"

namespace uniad::data {

const char* input_scaling_name(InputScaling scaling) {
  switch (scaling) {
    case InputScaling::ImageNet: return "imagenet";
    case InputScaling::Unit: return "unit";
    case InputScaling::Symmetric: return "symmetric";
  }
  return "?";
}

InputScaling parse_input_scaling(const std::string& name) {
  for (InputScaling s : {InputScaling::ImageNet, InputScaling::Unit, InputScaling::Symmetric})
    if (name == input_scaling_name(s)) return s;
  throw Error(cat("unknown input scaling '", name, "' (choose imagenet, unit or symmetric)"));
}

// Placeholder until the backbones land; replaced by the MBConv backbone implementation.
std::unique_ptr<FeatureExtractor> make_feature_extractor(const FeatureExtractorConfig& config) {
  throw Error(cat("backbone '", config.backbone, "' is not implemented yet"));
}

}  // namespace uniad::data

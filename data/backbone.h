#pragma once
// Backbone names -> network descriptions. The feature extractor (data/feature_extractor.cpp)
// asks here what "mobilenet_v2" or "efficientnet_b4" is; each architecture's builder lives in
// its own file (data/mobilenet_v2.cpp, data/efficientnet_b4.cpp) and is dispatched by name in
// data/backbone.cpp.
#include <string>
#include <vector>

#include "data/feature_extractor.h"
#include "data/mbconv.h"

namespace uniad::data {

struct BackboneDefinition {
  MBConvSpec spec;
  // Feature blocks used when the configuration names none (block -1 is the stem), one per
  // stride 2, 4, 8, 16; docs/backbones.md says why these.
  std::vector<int> default_blocks;
  // What "auto" input scaling means for this backbone: how its weights were trained.
  InputScaling default_scaling = InputScaling::ImageNet;
};

// Throws for an unknown name (listing the known ones) and for a backbone whose builder is not
// part of this build.
BackboneDefinition backbone_definition(const std::string& name);

// Checks feature blocks against a description: strictly increasing, each in -1 .. blocks - 1.
void check_feature_blocks(const MBConvSpec& spec, const std::vector<int>& blocks);

}  // namespace uniad::data

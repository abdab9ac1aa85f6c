#include "data/backbone.h"

#include "data/efficientnet_b4.h"
#include "data/mobilenet_v2.h"
#include "tensor/error.h"

namespace uniad::data {

BackboneDefinition backbone_definition(const std::string& name) {
  if (name == "mobilenet_v2")
    // The ends of the last frozen block at each stride: expanded_conv_project_BN (16 ch,
    // stride 2), block_2_add (24, 4), block_5_add (32, 8), block_10_project_BN (96, 16).
    // Unit scaling (x/255): what nsfwjs feeds, and what the first BatchNorm's statistics fit.
    return {mobilenet_v2_spec(), {0, 2, 5, 10}, InputScaling::Unit};
  if (name == "efficientnet_b4") return efficientnet_b4_definition();  // ImageNet normalisation
  throw Error(cat("unknown backbone '", name, "' (choose mobilenet_v2 or efficientnet_b4)"));
}

void check_feature_blocks(const MBConvSpec& spec, const std::vector<int>& blocks) {
  UNIAD_CHECK(!blocks.empty(), spec.architecture, ": no feature blocks");
  const int n = static_cast<int>(spec.blocks.size());
  for (size_t i = 0; i < blocks.size(); ++i) {
    UNIAD_CHECK(blocks[i] >= -1 && blocks[i] < n, spec.architecture, ": feature block ", blocks[i],
                " does not exist (blocks -1 (stem) to ", n - 1, ")");
    UNIAD_CHECK(i == 0 || blocks[i] > blocks[i - 1], spec.architecture,
                ": feature blocks must be strictly increasing, got ", blocks[i - 1], " then ", blocks[i]);
  }
}

}  // namespace uniad::data

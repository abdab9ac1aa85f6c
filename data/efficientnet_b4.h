#pragma once
// EfficientNet-B4, as the lukemelas EfficientNet-PyTorch port builds it (the port UniAD's
// reference uses), described for MBConvNet (data/mbconv.h). tools/efficientnet_reference.py is
// the same network in PyTorch; tools/convert_efficientnet.py turns the port's published
// efficientnet-b4-6ed6700e.pth into the weight file this reads (docs/efficientnet.md).
//
// Tensor keys are the port's state_dict keys with '/' for '.': "_conv_stem/weight", "_bn0/...",
// "_blocks/N/_expand_conv/weight", "_blocks/N/_bn0/...", "_blocks/N/_depthwise_conv/weight",
// "_blocks/N/_bn1/...", "_blocks/N/_se_reduce/{weight,bias}", "_blocks/N/_se_expand/...",
// "_blocks/N/_project_conv/weight", "_blocks/N/_bn2/...", "_conv_head/weight", "_bn1/...".
//
// The B0 stage table scaled by width 1.4 (channels, round_filters) and depth 1.8 (repeats, ceil):
//   stage         0      1      2      3       4       5       6
//   kernel        3      3      5      3       5       5       3
//   stride        1      2      2      2       1       2       1
//   expand        1      6      6      6       6       6       6
//   out          24     32     56    112     160     272     448     (stem 48, head 1792)
//   blocks      0-1    2-5    6-9  10-15   16-21   22-29   30-31
// Swish everywhere, squeeze-excitation width max(1, int(0.25 * block input channels)), BatchNorm
// eps 1e-3, static "same" padding computed for a 380 px image (at 224 px it differs from dynamic
// padding only in block 6's depthwise conv: (2, 2) instead of (1, 2)).
// UniAD's features: blocks 1, 5, 9, 21 = 24, 32, 56, 160 channels at strides 2, 4, 8, 16
// (272 in all); its CIFAR protocol adds block 31 (448 channels, stride 32; 720 in all).
#include <cstdint>
#include <vector>

#include "data/backbone.h"
#include "data/mbconv.h"

namespace uniad::data {

inline constexpr double kEfficientNetB4Width = 1.4;
inline constexpr double kEfficientNetB4Depth = 1.8;
inline constexpr int64_t kEfficientNetB4ImageSize = 380;

// The port's round_filters (channels * width to the nearest multiple of 8, at least 8, never
// more than 10% below) and round_repeats (ceil(repeats * depth)).
int64_t efficientnet_round_filters(int64_t filters, double width);
int64_t efficientnet_round_repeats(int64_t repeats, double depth);

// The description at any width and depth multiplier (the defaults are B4; other values give the
// reduced variants the tests use, built by the same code). static_image_size is what the port's
// padding is computed for. Throws for multipliers that make a stage's first block stride 1 with
// in == out channels: the port never adds the residual there, MBConvNet always would.
MBConvSpec efficientnet_b4_spec(double width = kEfficientNetB4Width, double depth = kEfficientNetB4Depth,
                                int64_t static_image_size = kEfficientNetB4ImageSize);

// What data/backbone.cpp's backbone_definition("efficientnet_b4") returns: the B4 description
// and UniAD's feature blocks {1, 5, 9, 21}.
BackboneDefinition efficientnet_b4_definition();

// UniAD's CIFAR-10 protocol: {1, 5, 9, 21, 31}.
const std::vector<int>& efficientnet_b4_cifar_blocks();

}  // namespace uniad::data

#pragma once
// Floating-point operations of the reconstruction model, counted from its configuration: the
// matrix products (linear layers, attention scores and values, 3x3 convolutions as im2col
// GEMMs), 2 FLOPs per multiply-add. Elementwise work (softmax, layer norm, dropout, AdamW) is
// left out, as GFLOP/s figures usually do; it is memory-bound and shows in the profile instead.
#include <cstdint>

#include "uniad/config.h"

namespace uniad {

struct ModelFlops {
  double forward = 0;  // one forward pass over the batch
  double train = 0;    // forward + backward (input gradients and weight gradients)
};

ModelFlops model_flops(const ModelConfig& config, int64_t batch);

}  // namespace uniad

#pragma once
// A small model of the paper's shape for tests: 4x5 tokens (C 12), D 16, 2 heads, two encoder
// and two decoder layers, FFN 24, a 3x3 neighbour mask. Used by tests/test_model.cpp and the
// whole-model rows of the CPU-vs-GPU table (tests/cuda_cases_model.cpp).
#include "uniad/config.h"

namespace uniad::test {

inline ModelConfig small_model_config(NetworkKind kind) {
  ModelConfig c;
  c.network = kind;
  c.feature_channels = 12;
  c.grid_h = 4;
  c.grid_w = 5;
  c.hidden_dim = 16;
  c.heads = 2;
  c.encoder_layers = 2;
  c.decoder_layers = 2;
  c.ffn_dim = 24;
  c.mask_window = 3;
  return c;
}

}  // namespace uniad::test

#pragma once
// The two non-attention reconstruction networks of the paper's ablation. Both keep the
// transformer's trunk (post-norm residual layers of the same width and FFN size) and replace
// only the token mixing, so the comparison changes one thing.
#include "uniad/transformer.h"

namespace uniad {

// Token-wise: each layer is x = LN(x + drop(FFN(x))); no token ever sees another.
class MLPLayer : public nn::Module {
 public:
  MLPLayer(const LayerSizes& s, Generator& gen);
  ag::Variable forward(const ag::Variable& x) const;  // [L, B, D] -> [L, B, D]

 private:
  std::shared_ptr<FeedForward> ffn_;
  std::shared_ptr<nn::LayerNorm> norm_;
  std::shared_ptr<nn::Dropout> dropout_;
};

// Local mixing: x = LN(x + drop(conv3x3(relu(conv3x3(x))))) on the token grid.
class ConvLayer : public nn::Module {
 public:
  ConvLayer(const LayerSizes& s, int64_t grid_h, int64_t grid_w, Generator& gen);
  ag::Variable forward(const ag::Variable& x) const;  // [L, B, D] -> [L, B, D]

 private:
  int64_t grid_h_, grid_w_;
  std::shared_ptr<nn::Conv2d> conv1_, conv2_;
  std::shared_ptr<nn::LayerNorm> norm_;
  std::shared_ptr<nn::Dropout> dropout_;
};

// [L, B, D] tokens <-> [B, D, H, W] maps (token index = row * W + col).
ag::Variable tokens_to_map(const ag::Variable& tokens, int64_t grid_h, int64_t grid_w);
ag::Variable map_to_tokens(const ag::Variable& map);

}  // namespace uniad

#pragma once
// UniAD's encoder and decoder layers (post-norm), sequence-first: tokens [L, B, D], position
// embedding pos [L, 1, D] added to queries and keys only, mask [L, L] additive or undefined.
#include <string>
#include <utility>
#include <vector>

#include "nn/attention.h"

namespace uniad {

// Collects the attention weights of one forward pass (for `uniad inspect`). Layers given an
// observer ask their attentions for weights and record them under the attention's parameter
// path; without one (the normal case) no weights are kept. Capturing changes no numbers.
struct AttentionObserver {
  // In forward order: ("encoder.layers.0.self_attn", [B, H, L, S]), ...
  std::vector<std::pair<std::string, Tensor>> weights;
};

struct LayerSizes {
  int64_t dim, heads, ffn_dim, tokens;
  double dropout;
};

// Linear -> ReLU -> dropout -> Linear, the feed-forward block of every layer.
class FeedForward : public nn::Module {
 public:
  FeedForward(const LayerSizes& s, Generator& gen);
  ag::Variable forward(const ag::Variable& x) const;  // [L, B, D] -> [L, B, D]

 private:
  std::shared_ptr<nn::Linear> linear1_, linear2_;
  std::shared_ptr<nn::Dropout> dropout_;
};

// x = LN1(x + drop(MHA(x + pos, x + pos, x, mask)));  x = LN2(x + drop(FFN(x)))
class EncoderLayer : public nn::Module {
 public:
  EncoderLayer(const LayerSizes& s, Generator& gen);
  // `observer` (optional) receives the weights as "<name>.self_attn".
  ag::Variable forward(const ag::Variable& x, const ag::Variable& pos, const ag::Variable& mask,
                       AttentionObserver* observer = nullptr, const std::string& name = "") const;

  std::shared_ptr<nn::MultiheadAttention> self_attn;

 private:
  std::shared_ptr<FeedForward> ffn_;
  std::shared_ptr<nn::LayerNorm> norm1_, norm2_;
  std::shared_ptr<nn::Dropout> dropout1_, dropout2_;
};

// One decoder layer. The residual stream starts from `start`: the layer's own learned query
// (UniAD), or the layer's input (a plain transformer decoder).
//   t = LN1(start + drop(MHA1(start + pos, enc + pos, enc, mask1)))
//   t = LN2(t + drop(MHA2(t + pos, prev + pos, prev, mask2)))
//   t = LN3(t + drop(FFN(t)))
class DecoderLayer : public nn::Module {
 public:
  DecoderLayer(const LayerSizes& s, bool learned_query, Generator& gen);
  // enc, prev [L, B, D] -> [L, B, D]; `observer` (optional) receives "<name>.self_attn" and
  // "<name>.multihead_attn".
  ag::Variable forward(const ag::Variable& enc, const ag::Variable& prev, const ag::Variable& pos,
                       const ag::Variable& mask1, const ag::Variable& mask2, AttentionObserver* observer = nullptr,
                       const std::string& name = "") const;
  bool has_learned_query() const { return learned_embed_ != nullptr; }
  // The learned query [L, D]; undefined without one.
  ag::Variable learned_query() const { return learned_embed_ ? learned_embed_->weight : ag::Variable(); }

  std::shared_ptr<nn::MultiheadAttention> self_attn;       // attention 1: query -> encoder output
  std::shared_ptr<nn::MultiheadAttention> multihead_attn;  // attention 2: -> previous layer's output

 private:
  std::shared_ptr<nn::Embedding> learned_embed_;  // [L, D] query, N(0, 1); null without a learned query
  std::shared_ptr<FeedForward> ffn_;
  std::shared_ptr<nn::LayerNorm> norm1_, norm2_, norm3_;
  std::shared_ptr<nn::Dropout> dropout1_, dropout2_, dropout3_;
};

}  // namespace uniad

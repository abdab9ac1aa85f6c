#pragma once
// Multi-head attention with PyTorch's layout and parameter names (torch.nn.MultiheadAttention,
// sequence-first): a packed input projection in_proj_weight [3D, D] / in_proj_bias [3D] whose
// three row blocks project queries, keys and values, and an output projection out_proj.
//
//   query [L, B, D], key [S, B, D], value [S, B, D], mask [L, S] (additive, shared by all
//   heads and batch items; -inf excludes a key) -> output [L, B, D]
#include "nn/layers.h"

namespace uniad::nn {

struct AttentionOutput {
  ag::Variable output;   // [L, B, D]
  ag::Variable weights;  // [B, H, L, S] after softmax (before dropout), when requested
};

class MultiheadAttention : public Module {
 public:
  MultiheadAttention(int64_t dim, int64_t heads, double dropout, Generator& gen);

  AttentionOutput forward(const ag::Variable& query, const ag::Variable& key, const ag::Variable& value,
                          const ag::Variable& mask = ag::Variable(), bool need_weights = false) const;

  int64_t dim() const { return dim_; }
  int64_t heads() const { return heads_; }

  ag::Variable in_proj_weight;  // [3D, D]: rows [0, D) queries, [D, 2D) keys, [2D, 3D) values
  ag::Variable in_proj_bias;    // [3D]
  std::shared_ptr<Linear> out_proj;

 private:
  int64_t dim_, heads_;
  std::shared_ptr<Dropout> attn_dropout_;  // on the attention weights: its p and training mode
  Generator* gen_;                         // attn_dropout_'s generator (one key per call)
};

}  // namespace uniad::nn

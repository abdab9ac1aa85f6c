#include "nn/attention.h"

#include <cmath>

#include "nn/init.h"

namespace uniad::nn {

using namespace uniad::ag;

MultiheadAttention::MultiheadAttention(int64_t dim, int64_t heads, double dropout, Generator& gen)
    : dim_(dim), heads_(heads), gen_(&gen) {
  UNIAD_CHECK(heads > 0 && dim % heads == 0, "MultiheadAttention: width ", dim, " is not divisible by ", heads,
              " heads");
  in_proj_weight = register_parameter("in_proj_weight", Tensor::empty({3 * dim, dim}));
  in_proj_bias = register_parameter("in_proj_bias", Tensor::zeros({3 * dim}));
  out_proj = register_module("out_proj", std::make_shared<Linear>(dim, dim, true, gen));
  attn_dropout_ = register_module("attn_dropout", std::make_shared<Dropout>(dropout, gen));
  // PyTorch's defaults: xavier on the packed projection as one matrix, zero biases.
  init::xavier_uniform_(in_proj_weight, gen);
  init::zeros_(out_proj->bias);
}

AttentionOutput MultiheadAttention::forward(const Variable& query, const Variable& key, const Variable& value,
                                            const Variable& mask, bool need_weights) const {
  UNIAD_CHECK(query.dim() == 3 && key.dim() == 3 && value.dim() == 3 && query.size(2) == dim_ &&
                  key.size(2) == dim_ && value.size(2) == dim_ && key.size(0) == value.size(0) &&
                  query.size(1) == key.size(1) && key.size(1) == value.size(1),
              "MultiheadAttention: expected query [L, B, ", dim_, "], key and value [S, B, ", dim_, "], got ",
              shape_str(query.shape()), ", ", shape_str(key.shape()), ", ", shape_str(value.shape()));
  const int64_t L = query.size(0), B = query.size(1), S = key.size(0);
  const int64_t H = heads_, hd = dim_ / heads_;
  if (mask.defined())
    UNIAD_CHECK(mask.shape() == Shape({L, S}), "MultiheadAttention: mask ", shape_str(mask.shape()),
                " must be [L, S] = [", L, ", ", S, "]");

  // Project with the three row blocks of the packed weight (views, no copies).
  auto project = [&](const Variable& x, int64_t block) {
    return linear(x, slice(in_proj_weight, 0, block * dim_, (block + 1) * dim_),
                  slice(in_proj_bias, 0, block * dim_, (block + 1) * dim_));
  };
  // Split heads: [T, B, D] -> [T, B*H, hd] -> [B*H, T, hd] (a transposed view).
  auto heads_first = [&](const Variable& x, int64_t T) { return transpose(reshape(x, {T, B * H, hd}), 0, 1); };
  Variable q = heads_first(mul_scalar(project(query, 0), 1.0 / std::sqrt(static_cast<double>(hd))), L);
  Variable k = heads_first(project(key, 1), S);
  Variable v = heads_first(project(value, 2), S);

  // Fused softmax(q k^T + mask), dropout and product with v: [B*H, L, hd]. Only the weights
  // [B*H, L, S] are kept for backward, the dropout mask as bits (ag::scaled_dot_attention).
  const AttentionResult attn = scaled_dot_attention(q, k, v, mask, attn_dropout_->p(), attn_dropout_->is_training(),
                                                    *gen_, need_weights);
  // The context is laid out [L, B*H, hd] under its [B*H, L, hd] view, so this reshape is free.
  Variable merged = reshape(transpose(attn.context, 0, 1), {L, B, dim_});  // [L, B, D]

  AttentionOutput out;
  out.output = out_proj->forward(merged);
  if (need_weights) out.weights = reshape(attn.weights, {B, H, L, S});
  return out;
}

}  // namespace uniad::nn

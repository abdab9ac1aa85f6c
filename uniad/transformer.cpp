#include "uniad/transformer.h"

namespace uniad {

using namespace uniad::ag;

FeedForward::FeedForward(const LayerSizes& s, Generator& gen) {
  linear1_ = register_module("linear1", std::make_shared<nn::Linear>(s.dim, s.ffn_dim, true, gen));
  dropout_ = register_module("dropout", std::make_shared<nn::Dropout>(s.dropout, gen));
  linear2_ = register_module("linear2", std::make_shared<nn::Linear>(s.ffn_dim, s.dim, true, gen));
}

Variable FeedForward::forward(const Variable& x) const {
  return linear2_->forward(dropout_->forward(relu(linear1_->forward(x))));  // [L, B, F] inside
}

EncoderLayer::EncoderLayer(const LayerSizes& s, Generator& gen) {
  self_attn = register_module("self_attn", std::make_shared<nn::MultiheadAttention>(s.dim, s.heads, s.dropout, gen));
  ffn_ = register_module("ffn", std::make_shared<FeedForward>(s, gen));
  norm1_ = register_module("norm1", std::make_shared<nn::LayerNorm>(s.dim));
  norm2_ = register_module("norm2", std::make_shared<nn::LayerNorm>(s.dim));
  dropout1_ = register_module("dropout1", std::make_shared<nn::Dropout>(s.dropout, gen));
  dropout2_ = register_module("dropout2", std::make_shared<nn::Dropout>(s.dropout, gen));
}

namespace {
// One attention's output [L, B, D]. With an observer, its weights [B, H, L, S] are kept and
// recorded as "<layer><which>"; without one, none are computed beyond what the output needs.
Variable attend(const nn::MultiheadAttention& attn, const Variable& q, const Variable& k, const Variable& v,
                const Variable& mask, AttentionObserver* observer, const std::string& layer, const char* which) {
  nn::AttentionOutput a = attn.forward(q, k, v, mask, observer != nullptr);
  if (observer) observer->weights.emplace_back(layer + which, a.weights.data());
  return a.output;
}
}  // namespace

Variable EncoderLayer::forward(const Variable& x, const Variable& pos, const Variable& mask, AttentionObserver* observer,
                               const std::string& name) const {
  const Variable qk = add(x, pos);  // [L, B, D]
  // norm(residual + drop(sublayer)) as one fused add + layer norm (nn::LayerNorm's two-argument forward).
  // The attention output is a temporary, freed once norm1 has used it (as before the observer).
  Variable t =
      norm1_->forward(dropout1_->forward(attend(*self_attn, qk, qk, x, mask, observer, name, ".self_attn")), x);
  return norm2_->forward(dropout2_->forward(ffn_->forward(t)), t);
}

DecoderLayer::DecoderLayer(const LayerSizes& s, bool learned_query, Generator& gen) {
  if (learned_query) learned_embed_ = register_module("learned_embed", std::make_shared<nn::Embedding>(s.tokens, s.dim, gen));
  self_attn = register_module("self_attn", std::make_shared<nn::MultiheadAttention>(s.dim, s.heads, s.dropout, gen));
  multihead_attn =
      register_module("multihead_attn", std::make_shared<nn::MultiheadAttention>(s.dim, s.heads, s.dropout, gen));
  ffn_ = register_module("ffn", std::make_shared<FeedForward>(s, gen));
  norm1_ = register_module("norm1", std::make_shared<nn::LayerNorm>(s.dim));
  norm2_ = register_module("norm2", std::make_shared<nn::LayerNorm>(s.dim));
  norm3_ = register_module("norm3", std::make_shared<nn::LayerNorm>(s.dim));
  dropout1_ = register_module("dropout1", std::make_shared<nn::Dropout>(s.dropout, gen));
  dropout2_ = register_module("dropout2", std::make_shared<nn::Dropout>(s.dropout, gen));
  dropout3_ = register_module("dropout3", std::make_shared<nn::Dropout>(s.dropout, gen));
}

Variable DecoderLayer::forward(const Variable& enc, const Variable& prev, const Variable& pos, const Variable& mask1,
                               const Variable& mask2, AttentionObserver* observer, const std::string& name) const {
  const int64_t L = enc.size(0), B = enc.size(1), D = enc.size(2);
  // The residual stream's start: the learned query [L, D] broadcast over the batch, or the input.
  const Variable start = learned_embed_ ? expand(unsqueeze(learned_embed_->weight, 1), {L, B, D}) : prev;
  const Variable enc_k = add(enc, pos);
  Variable t = norm1_->forward(
      dropout1_->forward(attend(*self_attn, add(start, pos), enc_k, enc, mask1, observer, name, ".self_attn")), start);
  t = norm2_->forward(dropout2_->forward(attend(*multihead_attn, add(t, pos), add(prev, pos), prev, mask2, observer,
                                                name, ".multihead_attn")),
                      t);
  return norm3_->forward(dropout3_->forward(ffn_->forward(t)), t);
}

}  // namespace uniad

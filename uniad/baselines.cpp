#include "uniad/baselines.h"

namespace uniad {

using namespace uniad::ag;

Variable tokens_to_map(const Variable& tokens, int64_t grid_h, int64_t grid_w) {
  const int64_t B = tokens.size(1), D = tokens.size(2);
  return reshape(permute(tokens, {1, 2, 0}), {B, D, grid_h, grid_w});  // [B, D, H, W]
}

Variable map_to_tokens(const Variable& map) {
  const int64_t B = map.size(0), D = map.size(1);
  return permute(reshape(map, {B, D, -1}), {2, 0, 1});  // [L, B, D]
}

MLPLayer::MLPLayer(const LayerSizes& s, Generator& gen) {
  ffn_ = register_module("ffn", std::make_shared<FeedForward>(s, gen));
  norm_ = register_module("norm", std::make_shared<nn::LayerNorm>(s.dim));
  dropout_ = register_module("dropout", std::make_shared<nn::Dropout>(s.dropout, gen));
}

Variable MLPLayer::forward(const Variable& x) const { return norm_->forward(dropout_->forward(ffn_->forward(x)), x); }

ConvLayer::ConvLayer(const LayerSizes& s, int64_t grid_h, int64_t grid_w, Generator& gen)
    : grid_h_(grid_h), grid_w_(grid_w) {
  const auto same = ag::Conv2dOptions::symmetric(1, 1);
  conv1_ = register_module("conv1", std::make_shared<nn::Conv2d>(s.dim, s.dim, 3, same, true, gen));
  conv2_ = register_module("conv2", std::make_shared<nn::Conv2d>(s.dim, s.dim, 3, same, true, gen));
  norm_ = register_module("norm", std::make_shared<nn::LayerNorm>(s.dim));
  dropout_ = register_module("dropout", std::make_shared<nn::Dropout>(s.dropout, gen));
}

Variable ConvLayer::forward(const Variable& x) const {
  const Variable map = tokens_to_map(x, grid_h_, grid_w_);             // [B, D, H, W]
  const Variable mixed = conv2_->forward(relu(conv1_->forward(map)));  // [B, D, H, W]
  return norm_->forward(dropout_->forward(map_to_tokens(mixed)), x);  // LN(x + drop(mixed)), fused
}

}  // namespace uniad

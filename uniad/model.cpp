#include "uniad/model.h"

#include <cmath>

#include "nn/init.h"
#include "tensor/elementwise.h"
#include "tensor/reduce.h"
#include "uniad/neighbor_mask.h"

namespace uniad {

using namespace uniad::ag;

ReconstructionModel::ReconstructionModel(const ModelConfig& config, Generator& gen) : config_(config), gen_(&gen) {
  config.validate();
  const int64_t C = config.feature_channels, D = config.hidden_dim;
  const LayerSizes sizes{D, config.heads, config.ffn_dim, config.tokens(), config.dropout};
  input_proj_ = register_module("input_proj", std::make_shared<nn::Linear>(C, D, true, gen));
  switch (config.network) {
    case NetworkKind::MLP:
      mlp_ = register_module("layers", std::make_shared<nn::ModuleList<MLPLayer>>());
      for (int64_t i = 0; i < config.encoder_layers + config.decoder_layers; ++i)
        mlp_->push_back(std::make_shared<MLPLayer>(sizes, gen));
      break;
    case NetworkKind::CNN:
      cnn_ = register_module("layers", std::make_shared<nn::ModuleList<ConvLayer>>());
      for (int64_t i = 0; i < config.encoder_layers + config.decoder_layers; ++i)
        cnn_->push_back(std::make_shared<ConvLayer>(sizes, config.grid_h, config.grid_w, gen));
      break;
    default: {
      pos_embed_ = register_module("pos_embed", std::make_shared<PositionEmbedding>(config.grid_h, config.grid_w, D,
                                                                                   config.learned_pos_embed, gen));
      // Registered as "encoder.layers" so parameters read encoder.layers.0.self_attn.in_proj_weight.
      encoder_ = register_module("encoder.layers", std::make_shared<nn::ModuleList<EncoderLayer>>());
      for (int64_t i = 0; i < config.encoder_layers; ++i) encoder_->push_back(std::make_shared<EncoderLayer>(sizes, gen));
      decoder_ = register_module("decoder.layers", std::make_shared<nn::ModuleList<DecoderLayer>>());
      for (int64_t i = 0; i < config.decoder_layers; ++i) {
        const bool query = config.network == NetworkKind::UniAD || (config.network == NetworkKind::QueryFirst && i == 0);
        decoder_->push_back(std::make_shared<DecoderLayer>(sizes, query, gen));
      }
      decoder_norm_ = register_module("decoder.norm", std::make_shared<nn::LayerNorm>(D));
      mask_ = uniad::neighbor_mask(config.grid_h, config.grid_w, config.mask_window);
    }
  }
  output_proj_ = register_module("output_proj", std::make_shared<nn::Linear>(D, C, true, gen));

  // The paper's initialisation: xavier-uniform for every Linear/Conv weight (the packed q/k/v
  // projection as one matrix), zero biases. LayerNorms start at (1, 0); the learned queries
  // keep N(0, 1) and the position tables U(0, 1) from their constructors.
  for (auto& [name, p] : named_parameters()) {
    if (name.find("embed") != std::string::npos || name.find("norm") != std::string::npos) continue;
    if (p.dim() >= 2) nn::init::xavier_uniform_(p, gen);
    else nn::init::zeros_(p);
  }
}

Tensor ReconstructionModel::jitter(const Tensor& tokens) const {
  if (!is_training() || config_.jitter_scale == 0 || config_.jitter_prob == 0) return tokens;
  if (gen_->uniform() >= config_.jitter_prob) return tokens;  // this step goes unjittered
  // noise = eps * alpha * ||f_token||_2 / C, eps ~ N(0, I): each token's noise scales with its norm.
  const double C = static_cast<double>(tokens.size(2));
  const Tensor norms = ops::unary(ops::UnaryOp::Sqrt, ops::sum(ops::unary(ops::UnaryOp::Square, tokens), {2}, true));  // [L, B, 1]
  Tensor eps = Tensor::empty(tokens.shape(), tokens.dtype(), tokens.device());  // [L, B, C]
  normal_counter_(eps, 0.0, 1.0, gen_->next_u64());          // parallel; one key from the model's generator
  return ops::add(tokens, ops::mul(eps, ops::mul_scalar(norms, config_.jitter_scale / C)));
}

Variable ReconstructionModel::transformer_forward(const Variable& x, AttentionObserver* observer) const {
  const Variable pos = pos_embed_->forward();  // [L, 1, D]
  const Variable mask(mask_);
  const Variable none;
  Variable enc = x;
  // Attention names for the observer: the attention modules' parameter paths.
  auto name = [observer](const char* stack, size_t i) {
    return observer ? std::string(stack) + ".layers." + std::to_string(i) : std::string();
  };
  for (size_t i = 0; i < encoder_->size(); ++i)
    enc = (*encoder_)[i].forward(enc, pos, config_.mask_encoder ? mask : none, observer, name("encoder", i));
  Variable out = enc;
  for (size_t i = 0; i < decoder_->size(); ++i)
    out = (*decoder_)[i].forward(enc, out, pos, config_.mask_decoder1 ? mask : none,
                                  config_.mask_decoder2 ? mask : none, observer, name("decoder", i));
  return decoder_norm_->forward(out);
}

Variable ReconstructionModel::forward(const Tensor& features, AttentionObserver* observer) const {
  const ModelConfig& c = config_;
  UNIAD_CHECK(features.dim() == 4 && features.size(1) == c.feature_channels && features.size(2) == c.grid_h &&
                  features.size(3) == c.grid_w,
              "ReconstructionModel: features ", shape_str(features.shape()), " do not match the model's [B, ",
              c.feature_channels, ", ", c.grid_h, ", ", c.grid_w, "]");
  const int64_t B = features.size(0), C = c.feature_channels;
  const Tensor tokens = features.to(device()).reshape({B, C, c.tokens()}).permute({2, 0, 1}).contiguous();  // [L, B, C]
  Variable x = input_proj_->forward(Variable(jitter(tokens)));                               // [L, B, D]
  if (mlp_) {
    for (const auto& layer : *mlp_) x = layer->forward(x);
  } else if (cnn_) {
    for (const auto& layer : *cnn_) x = layer->forward(x);
  } else {
    x = transformer_forward(x, observer);
  }
  const Variable rec = output_proj_->forward(x);  // [L, B, C]
  return reshape(permute(rec, {1, 2, 0}), {B, C, c.grid_h, c.grid_w});  // [B, C, H, W]
}

}  // namespace uniad

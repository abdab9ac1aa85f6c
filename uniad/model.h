#pragma once
// The reconstruction model: backbone features in, reconstructed features out.
//
//   features [B, C, H, W] -> tokens [L, B, C] (L = H*W, sequence first)
//   -> (training: feature jitter) -> input_proj [L, B, D]
//   -> encoder layers, decoder layers (or MLP / CNN layers, by config.network)
//   -> output_proj [L, B, C] -> reconstruction [B, C, H, W]
// The loss target is always the clean features.
#include "uniad/baselines.h"
#include "uniad/config.h"
#include "uniad/position.h"

namespace uniad {

class ReconstructionModel : public nn::Module {
 public:
  // Draws the initial weights from `gen` and keeps it for dropout and jitter during training.
  ReconstructionModel(const ModelConfig& config, Generator& gen);

  ag::Variable forward(const Tensor& features) const;  // [B, C, H, W] -> [B, C, H, W]
  const ModelConfig& config() const { return config_; }

  // Tokens with feature jitter applied (training) or unchanged: [L, B, C] -> [L, B, C].
  Tensor jitter(const Tensor& tokens) const;

 private:
  ag::Variable transformer_forward(const ag::Variable& x) const;  // [L, B, D] -> [L, B, D]

  ModelConfig config_;
  Generator* gen_;
  Tensor mask_;  // [L, L] neighbour mask
  std::shared_ptr<nn::Linear> input_proj_, output_proj_;
  std::shared_ptr<PositionEmbedding> pos_embed_;
  std::shared_ptr<nn::ModuleList<EncoderLayer>> encoder_;
  std::shared_ptr<nn::ModuleList<DecoderLayer>> decoder_;
  std::shared_ptr<nn::LayerNorm> decoder_norm_;
  std::shared_ptr<nn::ModuleList<MLPLayer>> mlp_;
  std::shared_ptr<nn::ModuleList<ConvLayer>> cnn_;
};

}  // namespace uniad

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

  // [B, C, H, W] -> [B, C, H, W]. With an observer (uniad inspect) every attention's weights
  // [B, H, L, S] are recorded into it, named as their parameters ("decoder.layers.2.multihead_attn");
  // the result is the same either way. Features on another device than the model's are moved
  // to it first; the reconstruction lives on the model's device.
  ag::Variable forward(const Tensor& features, AttentionObserver* observer = nullptr) const;
  const ModelConfig& config() const { return config_; }

  // For inspection: the neighbour mask [L, L] (undefined for MLP / CNN) and the decoder layers
  // (null for MLP / CNN).
  const Tensor& neighbor_mask() const { return mask_; }
  const nn::ModuleList<DecoderLayer>* decoder_layers() const { return decoder_.get(); }

  // Tokens with feature jitter applied (training) or unchanged: [L, B, C] -> [L, B, C].
  Tensor jitter(const Tensor& tokens) const;

 private:
  void on_device_change(Device device) override { if (mask_.defined()) mask_ = mask_.to(device); }
  ag::Variable transformer_forward(const ag::Variable& x, AttentionObserver* observer) const;  // [L, B, D] -> [L, B, D]

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

#pragma once
// Every switch of the reconstruction model, with the paper's configuration as the default.
// Ablations change one field each (see ../shared/spec/UNIAD.md and docs/).
#include <cstdint>
#include <string>

namespace uniad {

enum class NetworkKind {
  MLP,          // token-wise: the transformer trunk with attention removed
  CNN,          // 3x3 convolutions on the token grid instead of attention
  Transformer,  // encoder-decoder, no learned query: each decoder layer starts from its input
  QueryFirst,   // a learned query in the first decoder layer only
  UniAD,        // a learned query in every decoder layer (the paper's layer-wise query decoder)
};

NetworkKind parse_network_kind(const std::string& name);  // "mlp" | "cnn" | "transformer" | "query_first" | "uniad"
const char* network_kind_name(NetworkKind kind);

struct ModelConfig {
  NetworkKind network = NetworkKind::UniAD;
  int64_t feature_channels = 272;  // C: channels of the backbone feature map
  int64_t grid_h = 14, grid_w = 14;  // token grid; L = grid_h * grid_w
  int64_t hidden_dim = 256;          // D
  int64_t heads = 8;                 // H
  int64_t encoder_layers = 4;
  int64_t decoder_layers = 4;
  int64_t ffn_dim = 1024;
  double dropout = 0.1;
  bool learned_pos_embed = true;  // false: fixed sine embedding

  // Neighbour mask, separately for the encoder and the decoder's two attentions.
  bool mask_encoder = true;
  bool mask_decoder1 = true;  // learned query (or input) attending to the encoder output
  bool mask_decoder2 = true;  // attending to the previous decoder layer's output
  int64_t mask_window = 7;    // odd: a token never sees the window x window block around it

  // Feature jitter (training only): noise scale alpha and per-step probability p.
  double jitter_scale = 20.0;
  double jitter_prob = 1.0;

  int64_t tokens() const { return grid_h * grid_w; }
  // Throws naming the field when the combination is invalid.
  void validate() const;
};

}  // namespace uniad

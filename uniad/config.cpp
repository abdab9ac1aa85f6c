#include "uniad/config.h"

#include "tensor/error.h"

namespace uniad {

NetworkKind parse_network_kind(const std::string& name) {
  if (name == "mlp") return NetworkKind::MLP;
  if (name == "cnn") return NetworkKind::CNN;
  if (name == "transformer") return NetworkKind::Transformer;
  if (name == "query_first") return NetworkKind::QueryFirst;
  if (name == "uniad") return NetworkKind::UniAD;
  throw Error(cat("model.network: unknown network '", name, "' (expected mlp, cnn, transformer, query_first or uniad)"));
}

const char* network_kind_name(NetworkKind kind) {
  switch (kind) {
    case NetworkKind::MLP: return "mlp";
    case NetworkKind::CNN: return "cnn";
    case NetworkKind::Transformer: return "transformer";
    case NetworkKind::QueryFirst: return "query_first";
    case NetworkKind::UniAD: return "uniad";
  }
  return "?";
}

void ModelConfig::validate() const {
  UNIAD_CHECK(feature_channels > 0, "model.feature_channels must be positive, got ", feature_channels);
  UNIAD_CHECK(grid_h > 0 && grid_w > 0, "model.grid_h/grid_w must be positive, got ", grid_h, "x", grid_w);
  UNIAD_CHECK(hidden_dim > 0 && hidden_dim % 2 == 0, "model.hidden_dim must be positive and even (the position "
              "embedding splits it in two), got ", hidden_dim);
  UNIAD_CHECK(heads > 0 && hidden_dim % heads == 0, "model.heads: hidden_dim ", hidden_dim,
              " is not divisible by ", heads, " heads");
  UNIAD_CHECK(encoder_layers >= 0 && decoder_layers >= 1, "model.encoder_layers must be >= 0 and "
              "model.decoder_layers >= 1, got ", encoder_layers, " and ", decoder_layers);
  UNIAD_CHECK(ffn_dim > 0, "model.ffn_dim must be positive, got ", ffn_dim);
  UNIAD_CHECK(dropout >= 0 && dropout < 1, "model.dropout must be in [0, 1), got ", dropout);
  UNIAD_CHECK(mask_window >= 1 && mask_window % 2 == 1, "model.mask_window must be odd and >= 1, got ", mask_window);
  UNIAD_CHECK(jitter_scale >= 0, "model.jitter_scale must be >= 0, got ", jitter_scale);
  UNIAD_CHECK(jitter_prob >= 0 && jitter_prob <= 1, "model.jitter_prob must be in [0, 1], got ", jitter_prob);
}

}  // namespace uniad

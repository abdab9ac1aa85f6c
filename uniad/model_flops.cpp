#include "uniad/model_flops.h"

namespace uniad {

ModelFlops model_flops(const ModelConfig& c, int64_t batch) {
  const double N = static_cast<double>(c.tokens()) * batch;  // token rows of every linear layer
  const double L = static_cast<double>(c.tokens()), B = static_cast<double>(batch);
  const double C = static_cast<double>(c.feature_channels), D = static_cast<double>(c.hidden_dim);
  const double F = static_cast<double>(c.ffn_dim);
  const double layers = static_cast<double>(c.encoder_layers + c.decoder_layers);

  const double input_proj = 2 * N * C * D, output_proj = 2 * N * D * C;
  const double ffn = 2 * (2 * N * D * F);  // D -> F -> D
  // q, k, v and output projections, then scores [L, S] and weighted values over all heads.
  const double attention = 4 * (2 * N * D * D) + 2 * (2 * B * L * L * D);
  const double conv3x3 = 2 * N * D * D * 9;  // "same" padding: every output token does D*D*9 MACs

  double trunk = 0;
  switch (c.network) {
    case NetworkKind::MLP: trunk = layers * ffn; break;
    case NetworkKind::CNN: trunk = layers * 2 * conv3x3; break;
    default:  // encoder layers: one attention; decoder layers: two
      trunk = c.encoder_layers * (attention + ffn) + c.decoder_layers * (2 * attention + ffn);
  }
  ModelFlops f;
  f.forward = input_proj + trunk + output_proj;
  // Backward runs two products per forward product (input and weight gradients), except the
  // input projection's input gradient: the features are data and need none.
  f.train = 3 * f.forward - input_proj;
  return f;
}

}  // namespace uniad

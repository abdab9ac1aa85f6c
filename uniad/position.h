#pragma once
// Position embeddings for the token grid, added to queries and keys (never to values).
#include "nn/layers.h"

namespace uniad {

class PositionEmbedding : public nn::Module {
 public:
  // learned: col_embed [W, D/2] and row_embed [H, D/2], initialised U(0, 1);
  // sine: the fixed sinusoidal embedding of DETR (normalised coordinates, temperature 10000).
  PositionEmbedding(int64_t grid_h, int64_t grid_w, int64_t dim, bool learned, Generator& gen);

  // [L, 1, D]: token (h, w) at index h * W + w gets concat(col_embed[w], row_embed[h]).
  ag::Variable forward() const;

 private:
  void on_device_change(Device device) override { if (fixed_.defined()) fixed_ = fixed_.to(device); }
  int64_t grid_h_, grid_w_, dim_;
  std::shared_ptr<nn::Embedding> row_embed_, col_embed_;  // learned only
  Tensor fixed_;                                          // sine only, [L, 1, D]
};

}  // namespace uniad

#include "uniad/position.h"

#include <cmath>

#include "nn/init.h"

namespace uniad {

namespace {
// DETR's sine embedding: for each axis, D/4 frequencies, sin on even and cos on odd channels
// of normalised coordinates ((i + 0.5) / n * 2 pi). Order: concat(y part, x part).
Tensor sine_embedding(int64_t H, int64_t W, int64_t D) {
  const int64_t half = D / 2;
  Tensor pos = Tensor::empty({H * W, 1, D});  // [L, 1, D]
  auto channel = [&](double coord, int64_t i) {
    const double freq = std::pow(10000.0, 2.0 * static_cast<double>(i / 2) / static_cast<double>(half));
    return i % 2 == 0 ? std::sin(coord / freq) : std::cos(coord / freq);
  };
  for (int64_t h = 0; h < H; ++h)
    for (int64_t w = 0; w < W; ++w) {
      const double y = (h + 0.5) / (H + 1e-6) * 2 * M_PI, x = (w + 0.5) / (W + 1e-6) * 2 * M_PI;
      for (int64_t i = 0; i < half; ++i) {
        pos.set({h * W + w, 0, i}, channel(y, i));
        pos.set({h * W + w, 0, half + i}, channel(x, i));
      }
    }
  return pos;
}
}  // namespace

PositionEmbedding::PositionEmbedding(int64_t grid_h, int64_t grid_w, int64_t dim, bool learned, Generator& gen)
    : grid_h_(grid_h), grid_w_(grid_w), dim_(dim) {
  if (!learned) {
    fixed_ = sine_embedding(grid_h, grid_w, dim);
    return;
  }
  row_embed_ = register_module("row_embed", std::make_shared<nn::Embedding>(grid_h, dim / 2, gen));
  col_embed_ = register_module("col_embed", std::make_shared<nn::Embedding>(grid_w, dim / 2, gen));
  nn::init::uniform_(row_embed_->weight, gen, 0.0, 1.0);
  nn::init::uniform_(col_embed_->weight, gen, 0.0, 1.0);
}

ag::Variable PositionEmbedding::forward() const {
  if (!row_embed_) return ag::Variable(fixed_);
  const int64_t H = grid_h_, W = grid_w_, half = dim_ / 2;
  // Broadcast the tables over the grid: cols [H, W, D/2] from col_embed[w], rows from row_embed[h].
  ag::Variable cols = ag::expand(ag::unsqueeze(col_embed_->weight, 0), {H, W, half});
  ag::Variable rows = ag::expand(ag::unsqueeze(row_embed_->weight, 1), {H, W, half});
  ag::Variable grid = ag::concat({cols, rows}, 2);  // [H, W, D]
  return ag::reshape(grid, {H * W, 1, dim_});       // [L, 1, D]
}

}  // namespace uniad

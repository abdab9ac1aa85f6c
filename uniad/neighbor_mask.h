#pragma once
// The neighbour mask: an additive [L, L] attention mask over a grid of tokens (index
// row * W + col) that hides from every token the window x window block centred on it, itself
// included, so that no token can be reconstructed by copying itself or its close neighbours.
#include "tensor/tensor.h"

namespace uniad {

// M[i, j] = -inf when |row_i - row_j| <= window / 2 and |col_i - col_j| <= window / 2, else 0.
Tensor neighbor_mask(int64_t grid_h, int64_t grid_w, int64_t window, DType dtype = DType::Float32);

}  // namespace uniad

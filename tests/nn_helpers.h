#pragma once
// Helpers shared by the neural-network tests (test_nn.cpp, test_gradcheck_nn.cpp).
#include <cstdlib>
#include <limits>

#include "autograd/functions.h"

namespace uniad::test {

// UniAD's neighbour mask on a grid_h x grid_w token grid: M[i, j] = -inf when tokens i and j
// lie within `radius` rows and columns of each other (the token itself included), else 0.
// Token index = row * grid_w + col. -> [L, L], L = grid_h * grid_w.
inline Tensor neighbour_mask(int64_t grid_h, int64_t grid_w, int64_t radius, DType dtype = DType::Float64) {
  const int64_t L = grid_h * grid_w;
  Tensor mask = Tensor::zeros({L, L}, dtype);
  for (int64_t i = 0; i < L; ++i)
    for (int64_t j = 0; j < L; ++j)
      if (std::abs(i / grid_w - j / grid_w) <= radius && std::abs(i % grid_w - j % grid_w) <= radius)
        mask.set({i, j}, -std::numeric_limits<double>::infinity());
  return mask;
}

// Softmax by the textbook formula from primitives: exp(z - max z) / sum exp(z - max z) with
// z = x + mask. The reference for the fused ag::softmax; it gives NaN on a fully masked row.
inline ag::Variable composed_softmax(const ag::Variable& x, const ag::Variable& mask) {
  ag::Variable z = ag::add(x, mask);
  ag::Variable e = ag::exp(ag::sub(z, ag::max(z, -1, true)));
  return ag::div(e, ag::sum(e, {-1}, true));
}

}  // namespace uniad::test

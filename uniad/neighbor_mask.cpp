#include "uniad/neighbor_mask.h"

#include <cstdlib>
#include <limits>

namespace uniad {

Tensor neighbor_mask(int64_t grid_h, int64_t grid_w, int64_t window, DType dtype) {
  UNIAD_CHECK(window >= 1 && window % 2 == 1, "neighbor_mask: window must be odd and >= 1, got ", window);
  const int64_t L = grid_h * grid_w, r = window / 2;
  std::vector<double> m(L * L, 0.0);  // [L, L]
  for (int64_t i = 0; i < L; ++i)
    for (int64_t j = 0; j < L; ++j)
      if (std::llabs(i / grid_w - j / grid_w) <= r && std::llabs(i % grid_w - j % grid_w) <= r)
        m[i * L + j] = -std::numeric_limits<double>::infinity();
  return Tensor::from_vector(m, {L, L}, dtype);
}

}  // namespace uniad

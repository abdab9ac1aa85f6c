#pragma once
// The pieces of a vectorisable float exp shared by kernels that cannot afford std::exp per
// element (attention softmax, swish): e^x = 2^k * e^r with k = round(x / ln 2), |r| <= ln 2 / 2.
// Callers do the range reduction and the handling of out-of-range inputs their own way.
#include <bit>
#include <cstdint>

namespace uniad::fastmath {

// e^r for |r| <= ln 2 / 2 by Cephes' expf polynomial (degree 6, relative error about 1e-7).
inline float exp_reduced(float r) {
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  return p * r * r + r + 1.0f;
}

// 2^k for a whole-number k in [-126, 127], written straight into the exponent bits.
inline float pow2_whole(float k) { return std::bit_cast<float>((static_cast<int32_t>(k) + 127) << 23); }

}  // namespace uniad::fastmath

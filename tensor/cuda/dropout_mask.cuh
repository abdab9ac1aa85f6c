#pragma once
// The dropout keep decision on the GPU, shared by dropout.cu and attention.cu: element i of a
// stream is kept when counter_uniform(key, i) >= p (tensor/random.h). counter_uniform is the top
// 24 bits times 2^-24, so the test is the exact integer one (bits >> 40) >= ceil(p 2^24), the
// form the CPU kernels use too.
#include <cmath>
#include <cstdint>

#include "tensor/random.h"

namespace uniad::cuda {

inline uint64_t dropout_keep_threshold(double p) { return static_cast<uint64_t>(std::ceil(std::ldexp(p, 24))); }

__device__ inline bool dropout_kept(uint64_t key, int64_t i, uint64_t threshold) {
  return (counter_random(key, static_cast<uint64_t>(i)) >> 40) >= threshold;
}

}  // namespace uniad::cuda

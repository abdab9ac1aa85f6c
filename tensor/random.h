#pragma once
// A seeded, portable random number generator (xoshiro256**, seeded through SplitMix64).
// The standard library's distributions differ between implementations, so uniform and normal
// draws are made here: the same seed gives the same numbers on every machine. The state is four
// integers, so checkpoints can store it and resume exactly.
#include <array>
#include <cstdint>

#include "tensor/tensor.h"

// The counter-based stream below is compiled for GPU kernels too (dropout masks, normal_counter_),
// so one definition serves both devices and their masks agree bit for bit.
#ifdef __CUDACC__
#define UNIAD_HOST_DEVICE __host__ __device__
#else
#define UNIAD_HOST_DEVICE
#endif

namespace uniad {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) { manual_seed(seed); }
  void manual_seed(uint64_t seed);

  uint64_t next_u64();
  double uniform();  // [0, 1) with 53 random bits
  double normal();   // N(0, 1), Box-Muller (uses two uniforms per call, no cached spare)

  std::array<uint64_t, 4> state() const { return s_; }
  void set_state(const std::array<uint64_t, 4>& s) { s_ = s; }

 private:
  std::array<uint64_t, 4> s_{};
};

// A stateless ("counter-based") random stream: the value for element `index` of the stream
// `key` depends on nothing else, so parallel kernels (dropout masks) draw the same numbers on
// any thread count. Callers take one key from a Generator per tensor (gen.next_u64()), so the
// Generator's state still decides everything and checkpoints resume exactly.
UNIAD_HOST_DEVICE inline uint64_t counter_random(uint64_t key, uint64_t index) {
  uint64_t z = key + (index + 1) * 0x9E3779B97F4A7C15ull;  // SplitMix64 finaliser of key + i*gamma
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
// Uniform in [0, 1) with 24 random bits (exact in float32).
UNIAD_HOST_DEVICE inline float counter_uniform(uint64_t key, uint64_t index) {
  return static_cast<float>(counter_random(key, index) >> 40) * 0x1.0p-24f;
}

// The process-wide default generator, used when a caller passes none.
Generator& default_generator();

// In-place fills, drawing elements in row-major order (so results do not depend on threads).
Tensor& uniform_(Tensor& t, double low, double high, Generator& gen = default_generator());
Tensor& normal_(Tensor& t, double mean, double std, Generator& gen = default_generator());
Tensor& bernoulli_(Tensor& t, double p, Generator& gen = default_generator());  // 1 with probability p

// N(mean, std) from the stateless stream `key` (counter_random): element i of the row-major order
// gets Box-Muller's pair i/2 (cos for even i, sin for odd i), so the values do not depend on the
// thread count. Parallel, unlike normal_, which walks one Generator serially.
Tensor& normal_counter_(Tensor& t, double mean, double std, uint64_t key);

// Fresh tensors.
Tensor rand_uniform(const Shape& shape, double low, double high, Generator& gen, DType dtype = DType::Float32);
Tensor rand_normal(const Shape& shape, double mean, double std, Generator& gen, DType dtype = DType::Float32);

}  // namespace uniad

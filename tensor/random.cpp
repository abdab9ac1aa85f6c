#include "tensor/random.h"

#include <cmath>
#include <vector>

#include "tensor/cuda/backend.h"

namespace uniad {

namespace {
uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// Draws numel values in row-major order and writes them through the tensor's strides. A GPU
// tensor gets the same values: they are drawn here, serially, and copy_ moves them over.
template <typename Draw>
Tensor& fill_with(Tensor& t, Draw draw) {
  std::vector<double> values(t.numel());
  for (double& v : values) v = draw();
  t.copy_(Tensor::from_vector(values, t.shape(), DType::Float64));
  return t;
}
}  // namespace

void Generator::manual_seed(uint64_t seed) {
  uint64_t x = seed;
  for (auto& word : s_) word = splitmix64(x);
}

uint64_t Generator::next_u64() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Generator::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Generator::normal() {
  const double u1 = 1.0 - uniform();  // (0, 1]: log stays finite
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

Generator& default_generator() {
  static Generator gen(0);
  return gen;
}

Tensor& uniform_(Tensor& t, double low, double high, Generator& gen) {
  return fill_with(t, [&] { return low + (high - low) * gen.uniform(); });
}

Tensor& normal_(Tensor& t, double mean, double std, Generator& gen) {
  return fill_with(t, [&] { return mean + std * gen.normal(); });
}

Tensor& bernoulli_(Tensor& t, double p, Generator& gen) {
  return fill_with(t, [&] { return gen.uniform() < p ? 1.0 : 0.0; });
}

Tensor rand_uniform(const Shape& shape, double low, double high, Generator& gen, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  return uniform_(t, low, high, gen);
}

Tensor rand_normal(const Shape& shape, double mean, double std, Generator& gen, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  return normal_(t, mean, std, gen);
}

Tensor& normal_counter_(Tensor& t, double mean, double std, uint64_t key) {
  if (!t.is_contiguous() || (t.dtype() != DType::Float32 && t.dtype() != DType::Float64)) {
    Tensor tmp = Tensor::empty(t.shape(), DType::Float64, t.device());
    normal_counter_(tmp, mean, std, key);
    t.copy_(tmp);
    return t;
  }
  if (cuda::on_gpu("normal_counter_", t)) {
    cuda::normal_counter_(t, mean, std, key);
    return t;
  }
  const int64_t n = t.numel(), pairs = (n + 1) / 2;
  dispatch_float(t.dtype(), "normal_counter_", [&](auto tag) {
    using T = decltype(tag);
    T* out = t.data<T>();
#pragma omp parallel for schedule(static) if (n >= (1 << 15))
    for (int64_t j = 0; j < pairs; ++j) {
      const double u1 = 1.0 - static_cast<double>(counter_random(key, 2 * j) >> 11) * 0x1.0p-53;  // (0, 1]
      const double u2 = static_cast<double>(counter_random(key, 2 * j + 1) >> 11) * 0x1.0p-53;
      const double r = std::sqrt(-2.0 * std::log(u1)), angle = 2.0 * M_PI * u2;
      out[2 * j] = static_cast<T>(mean + std * r * std::cos(angle));
      if (2 * j + 1 < n) out[2 * j + 1] = static_cast<T>(mean + std * r * std::sin(angle));
    }
  });
  return t;
}

}  // namespace uniad

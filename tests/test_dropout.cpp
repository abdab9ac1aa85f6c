// The fused dropout (ag::dropout on tensor/dropout.h): the mask follows its definition (element
// i kept when counter_uniform(key, i) >= p, one key per call), does not depend on the thread
// count or on strides, keeps the right fraction, scales by 1/(1 - p), and its gradient uses the
// same mask. Identity and all-zero cases, and the finite-difference check, are in test_nn.cpp
// and test_gradcheck_nn.cpp. A timing against the replaced version is skipped by default.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>

#include "autograd/functions.h"
#include "tensor/elementwise.h"
#include "test_util.h"

using namespace uniad;
using namespace uniad::ag;
using test::randn;

namespace {

// The mask by its definition, one element at a time: key = the generator's next u64.
std::vector<bool> spec_mask(uint64_t seed, int64_t n, double p) {
  Generator gen(seed);
  const uint64_t key = gen.next_u64();
  std::vector<bool> keep(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) keep[static_cast<size_t>(i)] = counter_uniform(key, static_cast<uint64_t>(i)) >= p;
  return keep;
}

struct Run {
  Tensor y, dx;
};

// Dropout of x (a view of `stored`) with a fresh Generator(seed), backward with `seed_grad`.
Run run_dropout(const Tensor& stored, double p, uint64_t seed, const Tensor& seed_grad, bool transposed = false) {
  Variable leaf(stored, true);
  Generator gen(seed);
  Variable y = dropout(transposed ? transpose(leaf, 0, 1) : leaf, p, true, gen);
  y.backward(seed_grad);
  return {y.data(), leaf.grad()};
}

}  // namespace

TEST_CASE("dropout: the mask is counter_uniform(key, i) >= p over the row-major index, on any strides") {
  // [L, B, D] = [196, 8, 256] float32: large enough to run on several threads.
  const double p = 0.1, scale = 1.0 / (1.0 - p);
  const Tensor x = randn({196, 8, 256}, 300, DType::Float32), g = randn({196, 8, 256}, 301, DType::Float32);
  const Run r = run_dropout(x, p, 11, g);
  const auto keep = spec_mask(11, x.numel(), p);
  const auto xv = x.to_vector(), gv = g.to_vector(), yv = r.y.to_vector(), dv = r.dx.to_vector();
  int64_t wrong_y = 0, wrong_dx = 0;
  for (size_t i = 0; i < keep.size(); ++i) {
    const float s = keep[i] ? static_cast<float>(scale) : 0.0f;
    wrong_y += yv[i] != static_cast<float>(xv[i]) * s;
    wrong_dx += dv[i] != static_cast<float>(gv[i]) * s;
  }
  std::printf("[dropout] [196,8,256] p=0.1: %lld values and %lld gradients differ from the definition\n",
              static_cast<long long>(wrong_y), static_cast<long long>(wrong_dx));
  CHECK(wrong_y == 0);
  CHECK(wrong_dx == 0);
  // A transposed view is masked by its own row-major order, like its contiguous copy.
  const Tensor t = randn({256, 300}, 302, DType::Float64), gt = randn({300, 256}, 303, DType::Float64);
  const Run strided = run_dropout(t, 0.3, 12, gt, true);
  const Run copied = run_dropout(t.transpose(0, 1).contiguous(), 0.3, 12, gt);
  CHECK(test::max_abs_diff(strided.y, copied.y) == 0.0);
  CHECK(test::max_abs_diff(strided.dx.transpose(0, 1), copied.dx) == 0.0);
}

TEST_CASE("dropout: 1 and 2 threads give identical values and gradients") {
  // The attention weights' size, [B*H, L, L] = [64, 196, 196] float32, and a small odd one.
  for (const Shape& shape : {Shape{64, 196, 196}, Shape{3, 7}}) {
    const Tensor x = randn(shape, 310, DType::Float32), g = randn(shape, 311, DType::Float32);
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const Run one = run_dropout(x, 0.1, 21, g);
    omp_set_num_threads(2);
    const Run two = run_dropout(x, 0.1, 21, g);
    omp_set_num_threads(threads);
    const double dy = test::max_abs_diff(one.y, two.y), ddx = test::max_abs_diff(one.dx, two.dx);
    std::printf("[dropout] %s 1 vs 2 threads: max |diff| y %.1e, dx %.1e\n", shape_str(shape).c_str(), dy, ddx);
    CHECK(dy == 0.0);
    CHECK(ddx == 0.0);
  }
}

TEST_CASE("dropout: kept fraction within 5 sigma of 1 - p, kept values scaled by exactly 1/(1 - p)") {
  const Tensor ones = Tensor::ones({1000, 1000}, DType::Float32);
  for (double p : {0.1, 0.5, 0.9, 1e-7}) {
    Generator gen(400);
    const auto y = dropout(Variable(ones), p, true, gen).data().to_vector();
    const float scale = static_cast<float>(1.0 / (1.0 - p));
    int64_t kept = 0, wrong = 0;
    for (double v : y) {
      kept += v != 0.0;
      wrong += v != 0.0 && v != scale;
    }
    const double n = static_cast<double>(y.size()), fraction = static_cast<double>(kept) / n;
    const double sigma = std::sqrt(p * (1 - p) / n);
    std::printf("[dropout] p = %g kept %.5f of 1e6 (expected %.5f, sigma %.1e)\n", p, fraction, 1 - p, sigma);
    CHECK(std::abs(fraction - (1 - p)) <= 5 * sigma + 1e-6);
    CHECK(wrong == 0);
  }
}

TEST_CASE("dropout: one generator draw per call, none at p = 0, p = 1 or in eval, and NaN stays NaN") {
  const Variable x(randn({4, 5}, 320), true);
  Generator gen(5), reference(5);
  dropout(x, 0.3, true, gen);
  reference.next_u64();
  CHECK(gen.state() == reference.state());  // exactly one u64 per call
  dropout(x, 0.0, true, gen);
  dropout(x, 1.0, true, gen);
  dropout(x, 0.3, false, gen);
  CHECK(gen.state() == reference.state());
  // A dropped NaN multiplies by zero and stays NaN, as in PyTorch's x * mask.
  Generator all_dropped_gen(6);
  const Tensor nan = Tensor::full({64}, NAN, DType::Float32);
  for (double v : dropout(Variable(nan), 0.5, true, all_dropped_gen).data().to_vector()) CHECK(std::isnan(v));
}

TEST_CASE("dropout speed: fused vs the serial float mask it replaced" * doctest::skip()) {
  // build/tests/uniad_tests -tc='dropout speed*' --no-skip. Forward and backward, float32, p = 0.1,
  // at the residual branch's size [L, B, D] and the attention weights' size [B*H, L, L].
  for (const Shape& shape : {Shape{196, 8, 256}, Shape{64, 196, 196}}) {
    const Tensor x = randn(shape, 330, DType::Float32), g = randn(shape, 331, DType::Float32);
    auto time = [&](const char* what, const std::function<Variable(const Variable&, Generator&)>& f) {
      std::vector<double> ms;
      Generator gen(1);
      for (int i = 0; i < 11; ++i) {
        Variable leaf(x, true);
        const auto t0 = std::chrono::steady_clock::now();
        f(leaf, gen).backward(g);
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      }
      std::sort(ms.begin(), ms.end());
      std::printf("[speed] dropout %-16s %-28s forward+backward %8.3f ms (median of 11, %d threads)\n",
                  shape_str(shape).c_str(), what, ms[5], omp_get_max_threads());
      return ms[5];
    };
    // The replaced version: a float mask drawn serially (bernoulli_), scaled, then multiplied.
    const double old = time("serial float mask + mul", [](const Variable& v, Generator& gen) {
      Tensor keep = Tensor::empty(v.shape(), v.dtype());
      bernoulli_(keep, 0.9, gen);
      return mul(v, Variable(ops::mul_scalar(keep, 1.0 / 0.9)));
    });
    const double fused = time("fused", [](const Variable& v, Generator& gen) { return dropout(v, 0.1, true, gen); });
    std::printf("[speed] dropout %s: old / fused = %.1fx\n", shape_str(shape).c_str(), old / fused);
    CHECK(fused < old);
  }
}

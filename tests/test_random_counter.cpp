// The stateless (counter-based) random stream: parallel normal draws that do not depend on the
// thread count, with the right moments.
#include <omp.h>

#include <cmath>

#include "tensor/random.h"
#include "test_util.h"

using namespace uniad;

TEST_CASE("random: normal_counter_ has mean 0, variance 1 and no correlation between neighbours") {
  Tensor t = Tensor::empty({1001, 401}, DType::Float64);  // odd count: the last pair is cut in half
  normal_counter_(t, 0.0, 1.0, 12345);
  const auto v = t.to_vector();
  const double n = static_cast<double>(v.size());
  double sum = 0, sq = 0, lag = 0, fourth = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    sum += v[i];
    sq += v[i] * v[i];
    fourth += v[i] * v[i] * v[i] * v[i];
    if (i + 1 < v.size()) lag += v[i] * v[i + 1];  // cos/sin partners of one pair are independent
  }
  const double mean = sum / n, var = sq / n - mean * mean, corr = lag / (n - 1), kurt = fourth / n;
  std::printf("[random] n %.0f: mean %.2e, var %.5f, lag-1 corr %.2e, E[x^4] %.4f (3 for a normal)\n", n, mean, var,
              corr, kurt);
  // Standard errors at n = 401,401: mean 1.6e-3, variance 2.2e-3, correlation 1.6e-3, E[x^4] 0.015.
  CHECK(std::abs(mean) < 8e-3);
  CHECK(std::abs(var - 1) < 1.1e-2);
  CHECK(std::abs(corr) < 8e-3);
  CHECK(std::abs(kurt - 3) < 0.08);
}

TEST_CASE("random: normal_counter_ is the same on 1 and 2 threads, differs between keys, scales") {
  const int before = omp_get_max_threads();
  Tensor a = Tensor::empty({300, 301}, DType::Float32), b = Tensor::empty({300, 301}, DType::Float32);
  omp_set_num_threads(1);
  normal_counter_(a, 0.0, 1.0, 7);
  omp_set_num_threads(2);
  normal_counter_(b, 0.0, 1.0, 7);
  omp_set_num_threads(before);
  CHECK(test::max_abs_diff(a, b) == 0);
  Tensor c = Tensor::empty({300, 301}, DType::Float32);
  normal_counter_(c, 0.0, 1.0, 8);
  CHECK(test::max_abs_diff(a, c) > 1);
  Tensor d = Tensor::empty({300, 301}, DType::Float32);
  normal_counter_(d, 5.0, 2.0, 7);  // same draws, shifted and scaled
  const auto va = a.to_vector(), vd = d.to_vector();
  double worst = 0;
  for (size_t i = 0; i < va.size(); ++i) worst = std::max(worst, std::abs(vd[i] - (5.0 + 2.0 * va[i])));
  std::printf("[compare] mean/std scaling max |diff| = %.3e\n", worst);
  CHECK(worst < 1e-5);
  // A strided view is filled through its strides with the same values as a contiguous tensor.
  Tensor e = Tensor::empty({301, 300}, DType::Float32);
  Tensor et = e.transpose(0, 1);
  normal_counter_(et, 0.0, 1.0, 7);
  CHECK(test::max_abs_diff(et, a.view({300, 301})) < 1e-6);
}

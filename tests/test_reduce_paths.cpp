// The two reduction paths (contiguous rows; a block of non-last axes summed column by column) against plain
// double loops, and their independence from the thread count.
#include <omp.h>

#include "tensor/reduce.h"
#include "test_util.h"

using namespace uniad;
using test::randn;

namespace {
// Sum over the first `lead` axes of contiguous x, in double, as a [cols] vector.
std::vector<double> naive_leading_sum(const Tensor& x, int lead) {
  int64_t rows = 1;
  for (int i = 0; i < lead; ++i) rows *= x.shape()[i];
  const int64_t cols = x.numel() / rows;
  const auto v = x.to_vector();
  std::vector<double> out(cols, 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) out[c] += v[r * cols + c];
  return out;
}

double max_diff(const Tensor& a, const std::vector<double>& b, double scale = 1.0) {
  const auto va = a.to_vector();
  REQUIRE(va.size() == b.size());
  double m = 0;
  for (size_t i = 0; i < va.size(); ++i) m = std::max(m, std::abs(va[i] - b[i] * scale));
  return m;
}
}  // namespace

TEST_CASE("reduce: sums and means over leading and middle axes match double loops") {
  const Tensor g = randn({1568, 1030}, 1, DType::Float32);  // [R, O], O spans several column blocks
  const auto expected = naive_leading_sum(g, 1);
  const double d_sum = max_diff(ops::sum(g, {0}), expected);
  const double d_mean = max_diff(ops::mean(g, {0}, true), expected, 1.0 / 1568);
  const Tensor t = randn({5, 7, 300}, 2, DType::Float64);
  const double d_two = max_diff(ops::sum(t, {0, 1}), naive_leading_sum(t, 2));
  std::printf("[compare] leading sum [1568,1030] %.3e, mean %.3e, f64 [5,7,300] over {0,1} %.3e\n", d_sum, d_mean,
              d_two);
  CHECK(d_sum < 1e-3);  // float32 output of sums of magnitude ~40
  CHECK(d_mean < 1e-6);
  CHECK(d_two < 1e-12);
  CHECK(ops::mean(g, {0}, true).shape() == Shape{1, 1030});
  // A middle axis: [L, B, D] -> [L, 1, D], as position-embedding gradients.
  const Tensor p = randn({3, 8, 300}, 4, DType::Float64);
  const auto pv = p.to_vector();
  std::vector<double> middle(3 * 300, 0.0);
  for (int l = 0; l < 3; ++l)
    for (int b = 0; b < 8; ++b)
      for (int d = 0; d < 300; ++d) middle[l * 300 + d] += pv[(l * 8 + b) * 300 + d];
  const Tensor pm = ops::sum(p, {1}, true);
  CHECK(pm.shape() == Shape{3, 1, 300});
  const double d_middle = max_diff(pm, middle);
  std::printf("[compare] middle-axis sum [3,8,300] over axis 1 max |diff| = %.3e\n", d_middle);
  CHECK(d_middle < 1e-12);
  // A non-contiguous input takes the row path and must agree.
  const Tensor gt = g.transpose(0, 1).contiguous().transpose(0, 1);  // same values, column-major
  const double d_paths = test::max_abs_diff(ops::sum(gt, {0}), ops::sum(g, {0}));
  std::printf("[compare] leading path vs row path max |diff| = %.3e\n", d_paths);
  CHECK(d_paths < 1e-3);
}

TEST_CASE("reduce: row sums with partial accumulators match double loops, any length") {
  for (int64_t n : {1, 7, 8, 9, 65, 1001}) {
    const Tensor x = randn({3, n}, 10 + n, DType::Float32);
    const auto v = x.to_vector();
    std::vector<double> expected(3, 0.0);
    for (int r = 0; r < 3; ++r)
      for (int64_t i = 0; i < n; ++i) expected[r] += v[r * n + i];
    const double d = max_diff(ops::sum(x, {1}), expected);
    CAPTURE(n);
    CHECK(d < 1e-4);
  }
}

TEST_CASE("reduce: results are identical on 1 and 2 threads") {
  const Tensor g = randn({1568, 1030}, 3, DType::Float32);
  const int before = omp_get_max_threads();
  omp_set_num_threads(1);
  const Tensor one_cols = ops::sum(g, {0}), one_rows = ops::sum(g, {1});
  omp_set_num_threads(2);
  const Tensor two_cols = ops::sum(g, {0}), two_rows = ops::sum(g, {1});
  omp_set_num_threads(before);
  CHECK(test::max_abs_diff(one_cols, two_cols) == 0);
  CHECK(test::max_abs_diff(one_rows, two_rows) == 0);
}

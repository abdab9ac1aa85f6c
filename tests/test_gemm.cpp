// The fast float32 GEMM (packed AVX2 kernel) against the reference (Eigen), on shapes that
// exercise every edge: partial register tiles, several depth blocks, several column blocks,
// transposed operands read in place, batched and broadcast products, accumulation.
#include "tensor/gemm_avx2.h"
#include "tensor/matmul.h"
#include "test_util.h"

using namespace uniad;

namespace {
// Runs matmul with the reference backend.
Tensor reference_matmul(const Tensor& a, const Tensor& b) {
  ops::set_gemm_backend(ops::GemmBackend::Eigen);
  Tensor out = ops::matmul(a, b);
  ops::set_gemm_backend(ops::GemmBackend::Auto);
  return out;
}
Tensor maybe_transposed(const Shape& shape, bool transposed, uint64_t seed) {
  if (!transposed) return test::randn(shape, seed, DType::Float32);
  Shape flipped = shape;
  std::swap(flipped[flipped.size() - 1], flipped[flipped.size() - 2]);
  return test::randn(flipped, seed, DType::Float32).transpose(-1, -2);
}
}  // namespace

TEST_CASE("gemm: fast float32 path matches the Eigen reference") {
  if (!ops::detail::sgemm_avx2_available()) {
    std::printf("[skip] this CPU has no AVX2/FMA: float32 GEMM runs on Eigen, nothing to compare\n");
    return;
  }
  struct Case {
    int64_t M, K, N;
  };
  const Case cases[] = {{1, 1, 1}, {5, 3, 7}, {6, 16, 16}, {13, 300, 33}, {144, 256, 16},
                        {150, 513, 47}, {7, 3, 4100}, {1568, 64, 40}};
  uint64_t seed = 100;
  for (const Case& c : cases) {
    for (int t = 0; t < 4; ++t) {
      const bool ta = t & 1, tb = t & 2;
      const Tensor a = maybe_transposed({c.M, c.K}, ta, seed++);
      const Tensor b = maybe_transposed({c.K, c.N}, tb, seed++);
      const std::string what = "sgemm " + std::to_string(c.M) + "x" + std::to_string(c.K) + "x" + std::to_string(c.N) +
                               (ta ? " A^T" : "") + (tb ? " B^T" : "");
      // float32 sums of K products: tolerance grows with sqrt(K).
      test::check_close(what, ops::matmul(a, b), reference_matmul(a, b), 2e-6 * std::sqrt(double(c.K)) * 4, 1e-5);
    }
  }
}

TEST_CASE("gemm: batched, broadcast and accumulating products on the fast path") {
  const Tensor a = test::randn({4, 37, 29}, 1, DType::Float32);
  const Tensor b = test::randn({4, 29, 21}, 2, DType::Float32);
  test::check_close("batched [4,37,29]x[4,29,21]", ops::matmul(a, b), reference_matmul(a, b), 1e-4, 1e-5);
  const Tensor w = test::randn({21, 29}, 3, DType::Float32).transpose(0, 1);
  test::check_close("broadcast weight [4,37,29]x[29,21]^T", ops::matmul(a, w), reference_matmul(a, w), 1e-4, 1e-5);

  Tensor out = test::randn({37, 21}, 4, DType::Float32);
  Tensor expected = out.clone();
  ops::gemm_into(out, a.select(0, 1), b.select(0, 2), /*accumulate=*/true);
  ops::set_gemm_backend(ops::GemmBackend::Eigen);
  ops::gemm_into(expected, a.select(0, 1), b.select(0, 2), true);
  ops::set_gemm_backend(ops::GemmBackend::Auto);
  test::check_close("gemm_into accumulate", out, expected, 1e-4, 1e-5);
}

TEST_CASE("gemm: hand-computed float32 product with a transposed operand") {
  // [[1, 2, 3], [4, 5, 6]] x [[1, 0], [0, 1], [1, 1]] = [[4, 5], [10, 11]]
  const Tensor a = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor bt = Tensor::from_vector({1, 0, 1, 0, 1, 1}, {2, 3});  // B^T, so B = bt^T
  CHECK(ops::matmul(a, bt.transpose(0, 1)).to_vector() == std::vector<double>{4, 5, 10, 11});
}

// The fast float32 GEMM kernels (packed AVX-512 and AVX2, each forced through
// ops::set_gemm_backend) against the reference: Eigen's GEMM in float64. Shapes exercise every
// edge: partial register tiles (rows and columns), several depth, row and column blocks,
// transposed and strided operands read in place, accumulation, 1 vs 2 threads and products run
// inside a parallel region (single-threaded), which must all agree bit for bit.
#include <omp.h>

#include "tensor/gemm_avx2.h"
#include "tensor/gemm_avx512.h"
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

// The packed kernels this CPU can run, and the backend that forces each.
struct FastKernel {
  const char* name;
  ops::GemmBackend backend;
};
std::vector<FastKernel> fast_kernels() {
  std::vector<FastKernel> kernels;
  if (ops::detail::sgemm_avx512_available()) kernels.push_back({"AVX-512", ops::GemmBackend::Auto});
  if (ops::detail::sgemm_avx2_available()) kernels.push_back({"AVX2", ops::GemmBackend::Avx2});
  if (kernels.empty()) std::printf("[skip] this CPU has no AVX2/FMA: float32 GEMM runs on Eigen only\n");
  return kernels;
}

// How a [rows, cols] operand is stored: contiguous, transposed (column-major, read in place),
// or a window of a wider transposed matrix (column stride > rows).
enum class Layout { Plain, Transposed, Strided };
Tensor make_operand(int64_t rows, int64_t cols, Layout layout, uint64_t seed) {
  if (layout == Layout::Plain) return test::randn({rows, cols}, seed, DType::Float32);
  if (layout == Layout::Transposed) return test::randn({cols, rows}, seed, DType::Float32).transpose(0, 1);
  return test::randn({cols, rows + 5}, seed, DType::Float32).slice(1, 2, 2 + rows).transpose(0, 1);
}
const char* layout_name(Layout l) { return l == Layout::Plain ? "" : l == Layout::Transposed ? "^T" : "^S"; }

// C = c0 + A B (accumulate) or A B, with the current backend and thread count.
Tensor product(const Tensor& a, const Tensor& b, const Tensor& c0, bool accumulate) {
  Tensor out = accumulate ? c0.clone() : Tensor::empty({a.size(0), b.size(1)}, DType::Float32);
  ops::gemm_into(out, a, b, accumulate);
  return out;
}
}  // namespace

TEST_CASE("gemm: packed float32 kernels match a float64 reference on odd shapes, layouts and threads") {
  struct Case {
    int64_t M, K, N;
  };
  // Odd sizes around both register tiles (6x16, 14x32), depth blocks (256), row blocks and
  // column blocks (4096 columns).
  const Case cases[] = {{1, 1, 1},    {5, 13, 31},  {13, 5, 33},   {31, 33, 5},  {33, 31, 13}, {14, 257, 32},
                        {15, 1, 65},  {257, 31, 1}, {28, 600, 97}, {800, 40, 47}, {3, 9, 4100}, {196, 32, 196},
                        {45, 70, 300}, {420, 20, 290}};
  const int saved_threads = omp_get_max_threads();
  for (const FastKernel& kernel : fast_kernels()) {
    double worst = 0, worst_of_tol = 0;
    int compared = 0;
    uint64_t seed = 200;
    for (const Case& c : cases) {
      for (int l = 0; l < 9; ++l) {
        const Layout la = Layout(l % 3), lb = Layout(l / 3);
        const Tensor a = make_operand(c.M, c.K, la, seed++), b = make_operand(c.K, c.N, lb, seed++);
        const Tensor c0 = test::randn({c.M, c.N}, seed++, DType::Float32);
        const bool accumulate = l % 2 == 1;
        Tensor expected = accumulate ? c0.to(DType::Float64) : Tensor::zeros({c.M, c.N}, DType::Float64);
        ops::gemm_into(expected, a.to(DType::Float64), b.to(DType::Float64), true);  // float64: Eigen

        ops::set_gemm_backend(kernel.backend);
        omp_set_num_threads(1);
        const Tensor one = product(a, b, c0, accumulate);
        omp_set_num_threads(2);
        const Tensor two = product(a, b, c0, accumulate);
        Tensor nested[2];
#pragma omp parallel num_threads(2)
        nested[omp_get_thread_num()] = product(a, b, c0, accumulate);
        ops::set_gemm_backend(ops::GemmBackend::Auto);

        const std::string what = std::string(kernel.name) + " " + std::to_string(c.M) + "x" + std::to_string(c.K) +
                                 layout_name(la) + " x " + std::to_string(c.K) + "x" + std::to_string(c.N) +
                                 layout_name(lb) + (accumulate ? " +=" : "");
        // float32 rounding of a K-term sum of unit-variance products grows with K.
        const double diff = test::max_abs_diff(one.to(DType::Float64), expected);
        const double tol = 1e-6 * double(c.K + 4);
        CHECK_MESSAGE(diff <= tol, what, ": max |diff| ", diff);
        CHECK_MESSAGE(test::max_abs_diff(one, two) == 0, what, ": 1 and 2 threads differ");
        for (const Tensor& n : nested)
          if (n.defined()) CHECK_MESSAGE(test::max_abs_diff(one, n) == 0, what, ": nested differs");
        worst = std::max(worst, diff);
        worst_of_tol = std::max(worst_of_tol, diff / tol);
        ++compared;
      }
    }
    std::printf("[compare] %-8s %d products vs float64: max |diff| = %.3e, at most %.2f of tol 1e-6 (K + 4)\n",
                kernel.name, compared, worst, worst_of_tol);
  }
  omp_set_num_threads(saved_threads);
}

TEST_CASE("gemm: default float32 path matches the Eigen reference on square-ish shapes") {
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

// The fused linear (bias written first, GEMM accumulates onto it, one node) against the composed
// matmul(x, W^T) + b it replaces, and its finite-difference gradients.
#include "autograd/functions.h"
#include "test_util.h"

using namespace uniad;
using namespace uniad::ag;
using test::check_close;
using test::expect_gradcheck;
using test::randn;

namespace {

// Runs f (fused or reference) on fresh leaves and returns the output and every input gradient.
struct LinearRun {
  Tensor y, gx, gw, gb;
};
template <typename F>
LinearRun run_linear(F f, const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& seed, bool x_view) {
  Variable vx(x, true), vw(w, true), vb = b.defined() ? Variable(b, true) : Variable();
  // x_view: feed a transposed (non-contiguous) view of x, as attention's head splits do.
  const Variable input = x_view ? transpose(vx, 0, 1) : vx;
  Variable y = f(input, vw, vb);
  y.backward(seed);
  return {y.data(), vx.grad(), vw.grad(), b.defined() ? vb.grad() : Tensor()};
}

void compare(const std::string& what, const Tensor& x, const Tensor& w, const Tensor& b, bool x_view, double tol) {
  const Variable probe = x_view ? transpose(Variable(x), 0, 1) : Variable(x);
  Shape out_shape = probe.shape();
  out_shape.back() = w.size(0);
  const Tensor seed = randn(out_shape, 99, x.dtype());
  auto fused = [](const Variable& a, const Variable& c, const Variable& d) { return linear(a, c, d); };
  auto reference = [](const Variable& a, const Variable& c, const Variable& d) { return linear_reference(a, c, d); };
  const LinearRun f = run_linear(fused, x, w, b, seed, x_view);
  const LinearRun r = run_linear(reference, x, w, b, seed, x_view);
  check_close(what + " y", f.y, r.y, tol, tol);
  check_close(what + " dx", f.gx, r.gx, tol, tol);
  check_close(what + " dW", f.gw, r.gw, tol, tol);
  if (b.defined()) check_close(what + " db", f.gb, r.gb, tol, tol);
}

}  // namespace

TEST_CASE("linear: fused matches matmul + bias, float32 and float64, odd and strided shapes") {
  for (DType dt : {DType::Float32, DType::Float64}) {
    const double tol = dt == DType::Float32 ? 2e-5 : 1e-12;
    const std::string tag = dt == DType::Float32 ? " f32" : " f64";
    compare("[7,5]x[3,5]^T" + tag, randn({7, 5}, 1, dt), randn({3, 5}, 2, dt), randn({3}, 3, dt), false, tol);
    compare("no bias" + tag, randn({7, 5}, 4, dt), randn({3, 5}, 5, dt), Tensor(), false, tol);
    compare("[4,6,33] 3-D" + tag, randn({4, 6, 33}, 6, dt), randn({17, 33}, 7, dt), randn({17}, 8, dt), false, tol);
    compare("transposed view [6,4,33]" + tag, randn({4, 6, 33}, 9, dt), randn({17, 33}, 10, dt), randn({17}, 11, dt),
            true, tol);
    compare("one row [1,257]" + tag, randn({1, 257}, 12, dt), randn({31, 257}, 13, dt), randn({31}, 14, dt), false, tol);
  }
}

TEST_CASE("linear: a row block of a packed weight gets its gradient through slice") {
  // MultiheadAttention projects with row blocks of in_proj_weight [3D, D].
  Variable packed(randn({12, 4}, 20, DType::Float64), true);
  Variable bias(randn({12}, 21, DType::Float64), true);
  const Variable x(randn({5, 4}, 22, DType::Float64));
  sum(linear(x, slice(packed, 0, 4, 8), slice(bias, 0, 4, 8))).backward();
  // d sum(x W^T + b) / dW[o, k] = sum over rows of x[:, k] for the rows of the block, 0 elsewhere.
  const auto g = packed.grad().to_vector(), xv = x.data().to_vector(), gb = bias.grad().to_vector();
  double worst = 0;
  for (int o = 0; o < 12; ++o)
    for (int k = 0; k < 4; ++k) {
      double expected = 0;
      if (o >= 4 && o < 8)
        for (int r = 0; r < 5; ++r) expected += xv[r * 4 + k];
      worst = std::max(worst, std::abs(g[o * 4 + k] - expected));
    }
  for (int o = 0; o < 12; ++o) worst = std::max(worst, std::abs(gb[o] - ((o >= 4 && o < 8) ? 5.0 : 0.0)));
  std::printf("[compare] packed weight block gradient max |diff| = %.3e\n", worst);
  CHECK(worst < 1e-12);
}

TEST_CASE("gradcheck: fused linear with and without bias, 2-D and 3-D inputs") {
  expect_gradcheck("linear [3,4]x[5,4]^T+b", [](auto v) { return linear(v[0], v[1], v[2]); },
                   {randn({3, 4}, 30), randn({5, 4}, 31), randn({5}, 32)});
  expect_gradcheck("linear [2,3,4] no bias", [](auto v) { return linear(v[0], v[1]); },
                   {randn({2, 3, 4}, 33), randn({5, 4}, 34)});
  expect_gradcheck("linear on a transposed view", [](auto v) { return linear(transpose(v[0], 0, 1), v[1], v[2]); },
                   {randn({3, 2, 4}, 35), randn({5, 4}, 36), randn({5}, 37)});
}

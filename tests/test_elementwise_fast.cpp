// The elementwise ops with loops of their own (relu, neg, square, sqrt, rsqrt, relu_grad and
// keep_where_positive, relu's one-pass backward) against plain per-element formulas.
#include <cmath>
#include <functional>

#include "autograd/functions.h"
#include "tensor/elementwise.h"
#include "test_util.h"

using namespace uniad;
using test::randn;

TEST_CASE("elementwise: specialised unary loops match the per-element formulas") {
  const Tensor x = randn({37, 129}, 1, DType::Float32);
  const Tensor pos = ops::affine(ops::unary(ops::UnaryOp::Abs, x), 1.0, 0.1);  // > 0 for sqrt/rsqrt
  struct Case {
    ops::UnaryOp op;
    const Tensor* input;
    std::function<double(double)> f;
  };
  const std::vector<Case> cases = {
      {ops::UnaryOp::Relu, &x, [](double v) { return v > 0 ? v : 0.0; }},
      {ops::UnaryOp::Neg, &x, [](double v) { return -v; }},
      {ops::UnaryOp::Square, &x, [](double v) { return v * v; }},
      {ops::UnaryOp::Sqrt, &pos, [](double v) { return std::sqrt(v); }},
      {ops::UnaryOp::Rsqrt, &pos, [](double v) { return 1.0 / std::sqrt(v); }},
      {ops::UnaryOp::ReluGrad, &x, [](double v) { return v > 0 ? 1.0 : 0.0; }},
  };
  for (const Case& c : cases) {
    const Tensor view = c.input->transpose(0, 1);  // strided input too
    for (const Tensor& in : {*c.input, view}) {
      const auto v = in.contiguous().to_vector();
      std::vector<double> expected(v.size());
      for (size_t i = 0; i < v.size(); ++i) expected[i] = c.f(v[i]);
      test::check_close(std::string(ops::unary_name(c.op)) + (in.is_contiguous() ? "" : " (strided)"),
                        ops::unary(c.op, in), Tensor::from_vector(expected, in.shape(), DType::Float64), 1e-6, 1e-6);
    }
  }
}

TEST_CASE("elementwise: keep_where_positive and relu's backward") {
  const Tensor g = randn({8, 5, 33}, 2, DType::Float32);
  const Tensor y = randn({5, 33}, 3, DType::Float32);  // broadcast over the leading axis
  const Tensor out = ops::binary(ops::BinaryOp::KeepWherePositive, g, y);
  const auto vg = g.to_vector(), vy = y.to_vector(), vo = out.to_vector();
  int64_t mismatches = 0;
  for (size_t i = 0; i < vg.size(); ++i) mismatches += vo[i] != (vy[i % vy.size()] > 0 ? vg[i] : 0.0);
  std::printf("[compare] keep_where_positive: %lld of %zu elements differ\n", static_cast<long long>(mismatches),
              vg.size());
  CHECK(mismatches == 0);
  // relu's backward (from its output) equals g * relu_grad(x), the composed form.
  const ag::Variable x(randn({6, 7}, 4, DType::Float64), true);
  const Tensor seed = randn({6, 7}, 5, DType::Float64);
  ag::relu(x).backward(seed);
  const Tensor composed = ops::mul(seed, ops::unary(ops::UnaryOp::ReluGrad, x.data()));
  test::check_close("relu backward vs g * relu_grad(x)", x.grad(), composed, 0.0);
}

// Finite-difference checks (float64) for elementwise, reduction, view, join and matmul ops,
// including broadcasting and non-contiguous inputs.
#include "autograd/functions.h"
#include "test_util.h"

using namespace uniad;
using namespace uniad::ag;
using test::expect_gradcheck;
using test::randn;
using test::randu;

TEST_CASE("gradcheck: binary ops with broadcasting and non-contiguous operands") {
  const auto a = randn({3, 4}, 1), b = randn({4}, 2), c = randn({4, 3}, 3);
  expect_gradcheck("add broadcast [3,4]+[4]", [](auto v) { return add(v[0], v[1]); }, {a, b});
  expect_gradcheck("sub broadcast [3,1]-[4]", [](auto v) { return sub(v[0], v[1]); }, {randn({3, 1}, 4), b});
  expect_gradcheck("mul transposed [4,3]^T*[3,4]", [](auto v) { return mul(transpose(v[0], 0, 1), v[1]); }, {c, a});
  expect_gradcheck("div broadcast", [](auto v) { return div(v[0], v[1]); }, {a, randu({4}, 0.5, 2.0, 5)});
  expect_gradcheck("add_scalar, mul_scalar", [](auto v) { return mul_scalar(add_scalar(v[0], 1.5), -2.0); }, {a});
  expect_gradcheck("pow 3", [](auto v) { return pow(v[0], 3.0); }, {a});
  expect_gradcheck("pow -0.5", [](auto v) { return pow(v[0], -0.5); }, {randu({5}, 0.5, 2, 6)});
}

TEST_CASE("gradcheck: unary ops and activations") {
  // Inputs kept away from kinks (0 for relu/abs, 6 for relu6) where the derivative jumps.
  Tensor x = randn({2, 5}, 7);
  Tensor away = randu({2, 5}, 0.1, 2.0, 8);
  Tensor pos = randu({2, 5}, 0.5, 3.0, 9);
  expect_gradcheck("neg", [](auto v) { return neg(v[0]); }, {x});
  expect_gradcheck("exp", [](auto v) { return exp(v[0]); }, {x});
  expect_gradcheck("log", [](auto v) { return log(v[0]); }, {pos});
  expect_gradcheck("sqrt", [](auto v) { return sqrt(v[0]); }, {pos});
  expect_gradcheck("rsqrt", [](auto v) { return rsqrt(v[0]); }, {pos});
  expect_gradcheck("abs (both signs)", [](auto v) { return abs(sub(v[0], v[1])); }, {away, Tensor::full({5}, 1.0, DType::Float64).to(DType::Float64)});
  expect_gradcheck("relu (both signs)", [](auto v) { return relu(add_scalar(v[0], -1.05)); }, {away});
  expect_gradcheck("relu6 (all three pieces)", [](auto v) { return relu6(mul_scalar(add_scalar(v[0], -0.55), 8.1)); },
                   {away});
  expect_gradcheck("gelu", [](auto v) { return gelu(v[0]); }, {x});
  expect_gradcheck("sigmoid", [](auto v) { return sigmoid(v[0]); }, {x});
  expect_gradcheck("silu", [](auto v) { return silu(v[0]); }, {x});
  expect_gradcheck("tanh", [](auto v) { return tanh(v[0]); }, {x});
  expect_gradcheck("gelu on a transposed view", [](auto v) { return gelu(transpose(v[0], 0, 1)); }, {x});
}

TEST_CASE("gradcheck: reductions") {
  Tensor x = randn({3, 4, 5}, 10);
  expect_gradcheck("sum all", [](auto v) { return sum(v[0]); }, {x});
  expect_gradcheck("sum axes {0,2}", [](auto v) { return sum(v[0], {0, 2}); }, {x});
  expect_gradcheck("sum keepdim -1", [](auto v) { return sum(v[0], {-1}, true); }, {x});
  expect_gradcheck("mean axis 1", [](auto v) { return mean(v[0], {1}); }, {x});
  expect_gradcheck("mean of permuted", [](auto v) { return mean(permute(v[0], {2, 0, 1}), {0}); }, {x});
  expect_gradcheck("var axis -1", [](auto v) { return var(v[0], {-1}); }, {x});
  expect_gradcheck("var unbiased keepdim", [](auto v) { return var(v[0], {0, 1}, true, 1); }, {x});
  expect_gradcheck("max axis 1", [](auto v) { return max(v[0], 1); }, {x});
  expect_gradcheck("max axis 0 keepdim", [](auto v) { return max(v[0], 0, true); }, {x});
}

TEST_CASE("gradcheck: views and joins") {
  Tensor x = randn({2, 3, 4}, 11);
  expect_gradcheck("reshape", [](auto v) { return reshape(v[0], {4, 6}); }, {x});
  expect_gradcheck("permute", [](auto v) { return permute(v[0], {1, 2, 0}); }, {x});
  expect_gradcheck("slice step 2", [](auto v) { return slice(v[0], 2, 1, 4, 2); }, {x});
  expect_gradcheck("select", [](auto v) { return select(v[0], 1, -1); }, {x});
  expect_gradcheck("expand", [](auto v) { return expand(v[0], {5, 3, 4}); }, {randn({1, 4}, 12).reshape({1, 4}).expand({3, 4}).contiguous()});
  expect_gradcheck("unsqueeze/squeeze", [](auto v) { return squeeze(unsqueeze(v[0], 1), 1); }, {x});
  expect_gradcheck("contiguous of transpose", [](auto v) { return contiguous(transpose(v[0], 0, 2)); }, {x});
  expect_gradcheck("concat axis 1", [](auto v) { return concat({v[0], v[1]}, 1); }, {x, randn({2, 2, 4}, 13)});
  expect_gradcheck("split then recombine", [](auto v) {
    auto parts = split(v[0], {1, 3}, 2);
    return mul(parts[0], slice(parts[1], 2, 0, 1));
  }, {x});
  expect_gradcheck("stack axis 0", [](auto v) { return stack({v[0], v[1]}, 0); }, {x, randn({2, 3, 4}, 14)});
}

TEST_CASE("gradcheck: matmul, batched, broadcast weight, transposed operands, linear") {
  expect_gradcheck("matmul 2d", [](auto v) { return matmul(v[0], v[1]); }, {randn({3, 4}, 20), randn({4, 5}, 21)});
  expect_gradcheck("matmul batched", [](auto v) { return matmul(v[0], v[1]); },
                   {randn({2, 3, 4}, 22), randn({2, 4, 5}, 23)});
  expect_gradcheck("matmul broadcast weight", [](auto v) { return matmul(v[0], v[1]); },
                   {randn({2, 3, 4}, 24), randn({4, 5}, 25)});
  expect_gradcheck("matmul a^T b^T", [](auto v) { return matmul(transpose(v[0], 0, 1), transpose(v[1], 0, 1)); },
                   {randn({4, 3}, 26), randn({5, 4}, 27)});
  expect_gradcheck("matmul batch-broadcast [1,3,4]x[2,4,2]", [](auto v) { return matmul(v[0], v[1]); },
                   {randn({1, 3, 4}, 28), randn({2, 4, 2}, 29)});
  expect_gradcheck("linear with bias", [](auto v) { return linear(v[0], v[1], v[2]); },
                   {randn({2, 3, 4}, 30), randn({5, 4}, 31), randn({5}, 32)});
}

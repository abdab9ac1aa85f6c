// The backward engine: accumulation, no-grad, detach, leaves vs interiors, freed graphs, and
// tiny cases a reader can check with pencil and paper.
#include "autograd/functions.h"
#include "test_util.h"

using namespace uniad;
using namespace uniad::ag;

namespace {
Variable leaf(std::vector<double> v, Shape shape) { return Variable(Tensor::from_vector(v, shape, DType::Float64), true); }
}  // namespace

TEST_CASE("hand-computed: y = sum(a * b + a) ") {
  // dy/da = b + 1, dy/db = a
  Variable a = leaf({1, 2, 3}, {3});
  Variable b = leaf({4, 5, 6}, {3});
  Variable y = sum(a * b + a);
  CHECK(y.item() == 1 * 4 + 2 * 5 + 3 * 6 + 6);
  y.backward();
  CHECK(a.grad().to_vector() == std::vector<double>{5, 6, 7});
  CHECK(b.grad().to_vector() == std::vector<double>{1, 2, 3});
}

TEST_CASE("hand-computed: 2x2 matmul and its gradients") {
  // A = [[1, 2], [3, 4]], B = [[5, 6], [7, 8]]; AB = [[19, 22], [43, 50]]
  // L = sum(AB): dL/dA = 1 B^T = [[11, 15], [11, 15]], dL/dB = A^T 1 = [[4, 4], [6, 6]]
  Variable A = leaf({1, 2, 3, 4}, {2, 2});
  Variable B = leaf({5, 6, 7, 8}, {2, 2});
  Variable C = matmul(A, B);
  CHECK(C.data().to_vector() == std::vector<double>{19, 22, 43, 50});
  sum(C).backward();
  CHECK(A.grad().to_vector() == std::vector<double>{11, 15, 11, 15});
  CHECK(B.grad().to_vector() == std::vector<double>{4, 4, 6, 6});
}

TEST_CASE("hand-computed: broadcasting add sends summed gradients to the small operand") {
  Variable x = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Variable bias = leaf({10, 20, 30}, {3});
  Variable y = sum(mul_scalar(x + bias, 2.0));
  y.backward();
  CHECK(bias.grad().to_vector() == std::vector<double>{4, 4, 4});  // 2 per row, 2 rows
  CHECK(x.grad().to_vector() == std::vector<double>(6, 2.0));
}

TEST_CASE("gradients accumulate across backward calls until zero_grad") {
  Variable x = leaf({3}, {1});
  sum(mul(x, x)).backward();
  CHECK(x.grad().item() == 6);
  sum(mul(x, x)).backward();
  CHECK(x.grad().item() == 12);
  x.zero_grad();
  sum(mul(x, x)).backward();
  CHECK(x.grad().item() == 6);
}

TEST_CASE("a variable used twice gets both contributions") {
  Variable x = leaf({2}, {1});
  Variable y = x * x * x;  // 3 x^2 = 12
  y.backward(Tensor::ones({1}, DType::Float64));
  CHECK(x.grad().item() == 12);
}

TEST_CASE("no-grad scope and detach record nothing") {
  Variable x = leaf({1, 2}, {2});
  {
    NoGradGuard guard;
    Variable y = x * x;
    CHECK_FALSE(y.requires_grad());
    CHECK(y.is_leaf());
  }
  CHECK(grad_enabled());
  Variable d = x.detach();
  CHECK_FALSE(d.requires_grad());
  CHECK(d.data().shares_storage(x.data()));
  Variable y = x * d;  // gradient flows to x only, treating d as a constant
  sum(y).backward();
  CHECK(x.grad().to_vector() == std::vector<double>{1, 2});
}

TEST_CASE("leaves and interiors, and retain_grad keeps an interior gradient") {
  Variable x = leaf({1, 2}, {2});
  Variable h = mul_scalar(x, 3.0);
  h.retain_grad();
  CHECK(x.is_leaf());
  CHECK_FALSE(h.is_leaf());
  CHECK(h.grad_fn_name() == "mul_scalar");
  sum(h * h).backward();
  CHECK(h.grad().to_vector() == std::vector<double>{6, 12});
  CHECK(x.grad().to_vector() == std::vector<double>{18, 36});
}

TEST_CASE("the graph is freed after backward unless retained") {
  Variable x = leaf({1}, {1});
  Variable y = sum(exp(x));
  y.backward(true);
  y.backward();  // retained once, so a second pass works
  CHECK(x.grad().item() == doctest::Approx(2 * std::exp(1.0)));
  CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("already freed"), Error);
}

TEST_CASE("backward errors are explicit") {
  Variable c(Tensor::ones({2}, DType::Float64), false);
  CHECK_THROWS_AS(sum(c).backward(), Error);
  Variable x = leaf({1, 2}, {2});
  CHECK_THROWS_WITH_AS((x * x).backward(), doctest::Contains("without a seed"), Error);
  CHECK_THROWS_WITH_AS((x * x).backward(Tensor::ones({3}, DType::Float64)), doctest::Contains("seed [3]"), Error);
}

TEST_CASE("an undefined optional input is skipped by the engine") {
  Variable x = leaf({1, 2}, {2});
  Variable y = make_result(x.data(), "identity_with_optional", {x, Variable()}, [](const Tensor& g) {
    return std::vector<Tensor>{g, Tensor()};
  });
  sum(y).backward();
  CHECK(x.grad().to_vector() == std::vector<double>{1, 1});
}

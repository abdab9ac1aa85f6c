// The fused layer norm (ag::layer_norm, ag::add_layer_norm on tensor/layer_norm.h) against the
// composed reference (ag::layer_norm_reference), values and all gradients, in float32 and
// float64, on odd widths and non-contiguous inputs; finite-difference checks; thread counts.
// A timing of fused vs composed at UniAD's size is skipped by default:
//   build/tests/uniad_tests -tc='layer_norm speed*' --no-skip
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>

#include "autograd/functions.h"
#include "test_util.h"

using namespace uniad;
using namespace uniad::ag;
using test::check_close;
using test::expect_gradcheck;
using test::randn;

namespace {

// An input built from a stored tensor: the normalised view may be non-contiguous.
using MakeView = std::function<Variable(const Variable&)>;

struct Case {
  const char* name;
  Shape stored;  // the leaf's shape
  MakeView view;  // what the op sees, [..., D]
};

std::vector<Case> cases() {
  auto same = [](const Variable& v) { return v; };
  return {
      {"D=1 [5,1]", {5, 1}, same},
      {"D=3 [4,3]", {4, 3}, same},
      {"D=257 [3,2,257]", {3, 2, 257}, same},
      {"permuted [7,2,3] -> [2,3,7]", {7, 2, 3}, [](const Variable& v) { return permute(v, {1, 2, 0}); }},
      {"every other column [6,10] -> [6,5]", {6, 10}, [](const Variable& v) { return slice(v, 1, 0, 10, 2); }},
      {"UniAD size [196,8,256]", {196, 8, 256}, same},  // rows spread over threads
  };
}

// At D = 1 the centred value is 0 and rstd = 1/sqrt(eps) ~ 316 magnifies rounding: the exact dx
// is 0, and both forms give noise around it (g * w - mean(g * w) is not exactly 0 under FMA).
double tolerance(DType dtype, int64_t D) { return (dtype == DType::Float32 ? 2e-5 : 1e-12) * (D == 1 ? 100 : 1); }

// Runs `f` on fresh leaves made from `values`, backward with `seed`; returns the output and
// every leaf's gradient.
std::vector<Tensor> value_and_grads(const std::function<Variable(const std::vector<Variable>&)>& f,
                                    const std::vector<Tensor>& values, const Tensor& seed) {
  std::vector<Variable> leaves;
  for (const Tensor& v : values) leaves.emplace_back(v, true);
  Variable y = f(leaves);
  y.backward(seed);
  std::vector<Tensor> out{y.data()};
  for (const Variable& leaf : leaves) out.push_back(leaf.grad());
  return out;
}

void compare_all(const std::string& what, const std::vector<Tensor>& fused, const std::vector<Tensor>& reference,
                 const std::vector<std::string>& names, double tol) {
  REQUIRE(fused.size() == reference.size());
  for (size_t i = 0; i < fused.size(); ++i)
    check_close(what + " " + names[i], fused[i], reference[i], tol, tol);
}

}  // namespace

TEST_CASE("layer_norm: fused matches the composed reference, value and gradients of x, weight, bias") {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (const Case& c : cases()) {
      const std::string tag = std::string(c.name) + " " + dtype_name(dtype);
      const Tensor x = randn(c.stored, 200, dtype);
      const int64_t D = c.view(Variable(x)).size(-1);
      const Tensor w = randn({D}, 201, dtype), b = randn({D}, 202, dtype);
      const Tensor seed = randn(c.view(Variable(x)).shape(), 203, dtype);
      auto fused = value_and_grads([&](auto v) { return layer_norm(c.view(v[0]), v[1], v[2]); }, {x, w, b}, seed);
      auto reference =
          value_and_grads([&](auto v) { return layer_norm_reference(c.view(v[0]), v[1], v[2]); }, {x, w, b}, seed);
      compare_all("layer_norm " + tag, fused, reference, {"y", "dx", "dweight", "dbias"}, tolerance(dtype, D));
      // Without affine parameters (weight ones, bias zeros implied).
      auto plain = value_and_grads([&](auto v) { return layer_norm(c.view(v[0]), Variable(), Variable()); }, {x}, seed);
      auto plain_ref =
          value_and_grads([&](auto v) { return layer_norm_reference(c.view(v[0]), Variable(), Variable()); }, {x}, seed);
      compare_all("layer_norm no affine " + tag, plain, plain_ref, {"y", "dx"}, tolerance(dtype, D));
    }
  }
}

TEST_CASE("add_layer_norm: fused matches layer_norm_reference(x + residual), all four gradients") {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    const std::string tag = std::string(" ") + dtype_name(dtype);
    for (const Case& c : cases()) {
      const Tensor x = randn(c.stored, 210, dtype), r = randn(c.stored, 211, dtype);
      const Shape shape = c.view(Variable(x)).shape();
      const int64_t D = shape.back();
      const double tol = tolerance(dtype, D);
      const Tensor w = randn({D}, 212, dtype), b = randn({D}, 213, dtype), seed = randn(shape, 214, dtype);
      // The residual is contiguous while x goes through the case's view, and the other way round.
      auto fused = value_and_grads([&](auto v) { return add_layer_norm(c.view(v[0]), v[1], v[2], v[3]); },
                                   {x, c.view(Variable(r)).data().contiguous(), w, b}, seed);
      auto reference = value_and_grads(
          [&](auto v) { return layer_norm_reference(add(c.view(v[0]), v[1]), v[2], v[3]); },
          {x, c.view(Variable(r)).data().contiguous(), w, b}, seed);
      compare_all(std::string("add_layer_norm ") + c.name + tag, fused, reference,
                  {"y", "dx", "dresidual", "dweight", "dbias"}, tol);
      auto swapped = value_and_grads([&](auto v) { return add_layer_norm(v[0], c.view(v[1]), v[2], v[3]); },
                                     {c.view(Variable(x)).data().contiguous(), r, w, b}, seed);
      auto swapped_ref = value_and_grads(
          [&](auto v) { return layer_norm_reference(add(v[0], c.view(v[1])), v[2], v[3]); },
          {c.view(Variable(x)).data().contiguous(), r, w, b}, seed);
      compare_all(std::string("add_layer_norm strided residual ") + c.name + tag, swapped, swapped_ref,
                  {"y", "dx", "dresidual", "dweight", "dbias"}, tol);
    }
    // The decoder's learned query: a [L, D] table broadcast over the batch (stride 0) as residual.
    const Tensor x = randn({196, 8, 256}, 215, dtype), query = randn({196, 256}, 216, dtype);
    const Tensor w = randn({256}, 217, dtype), b = randn({256}, 218, dtype), seed = randn({196, 8, 256}, 219, dtype);
    auto start = [](const Variable& q) { return expand(unsqueeze(q, 1), {196, 8, 256}); };
    auto fused = value_and_grads([&](auto v) { return add_layer_norm(v[0], start(v[1]), v[2], v[3]); },
                                 {x, query, w, b}, seed);
    auto reference = value_and_grads(
        [&](auto v) { return layer_norm_reference(add(v[0], start(v[1])), v[2], v[3]); }, {x, query, w, b}, seed);
    compare_all("add_layer_norm expanded query [196,1->8,256]" + tag, fused, reference,
                {"y", "dx", "dquery", "dweight", "dbias"}, tolerance(dtype, 256));
  }
}

TEST_CASE("gradcheck: fused layer_norm and add_layer_norm on odd widths and strided inputs") {
  expect_gradcheck("layer_norm D=1, weight and bias", [](auto v) { return layer_norm(v[0], v[1], v[2]); },
                   {randn({3, 1}, 220), randn({1}, 221), randn({1}, 222)});
  expect_gradcheck("layer_norm D=3, weight and bias", [](auto v) { return layer_norm(v[0], v[1], v[2]); },
                   {randn({2, 2, 3}, 223), randn({3}, 224), randn({3}, 225)});
  expect_gradcheck("layer_norm D=5 of every other column, bias only",
                   [](auto v) { return layer_norm(slice(v[0], 1, 0, 10, 2), Variable(), v[1]); },
                   {randn({3, 10}, 226), randn({5}, 227)});
  expect_gradcheck("add_layer_norm D=7, weight and bias", [](auto v) { return add_layer_norm(v[0], v[1], v[2], v[3]); },
                   {randn({2, 3, 7}, 228), randn({2, 3, 7}, 229), randn({7}, 230), randn({7}, 231)});
  expect_gradcheck("add_layer_norm permuted x, expanded residual",
                   [](auto v) {
                     return add_layer_norm(permute(v[0], {1, 2, 0}), expand(unsqueeze(v[1], 1), {3, 2, 5}), v[2], v[3]);
                   },
                   {randn({5, 3, 2}, 232), randn({3, 5}, 233), randn({5}, 234), randn({5}, 235)});
  expect_gradcheck("add_layer_norm no affine, eps 1e-3",
                   [](auto v) { return add_layer_norm(v[0], v[1], Variable(), Variable(), 1e-3); },
                   {randn({4, 6}, 236), randn({4, 6}, 237)});
}

TEST_CASE("layer_norm at UniAD's size: thread counts give the same rows, and reruns the same sums") {
  // [L, B, D] = [196, 8, 256] float32. Rows are independent, so y and dx do not depend on the
  // thread count at all; dweight and dbias add per-thread partial sums in thread order, so a
  // rerun at the same thread count gives the same bits and another count differs by rounding.
  const Tensor x = randn({196, 8, 256}, 240, DType::Float32), r = randn({196, 8, 256}, 241, DType::Float32);
  const Tensor w = randn({256}, 242, DType::Float32), b = randn({256}, 243, DType::Float32);
  const Tensor seed = randn({196, 8, 256}, 244, DType::Float32);
  auto run = [&] {
    return value_and_grads([](auto v) { return add_layer_norm(v[0], v[1], v[2], v[3]); }, {x, r, w, b}, seed);
  };
  const int threads = omp_get_max_threads();
  omp_set_num_threads(2);
  const auto two = run(), two_again = run();
  omp_set_num_threads(1);
  const auto one = run();
  omp_set_num_threads(threads);
  for (size_t i = 0; i < two.size(); ++i) CHECK(test::max_abs_diff(two[i], two_again[i]) == 0.0);
  CHECK(test::max_abs_diff(one[0], two[0]) == 0.0);  // y
  CHECK(test::max_abs_diff(one[1], two[1]) == 0.0);  // dx
  check_close("add_layer_norm dweight, 1 vs 2 threads", one[3], two[3], 1e-5, 1e-6);
  check_close("add_layer_norm dbias, 1 vs 2 threads", one[4], two[4], 1e-5, 1e-6);
}

TEST_CASE("add_layer_norm: a residual of another shape or a weight of another dtype names both") {
  const Variable x(randn({2, 4}, 245));
  CHECK_THROWS_WITH_AS(add_layer_norm(x, Variable(randn({1, 4}, 246)), Variable(), Variable()),
                       "add_layer_norm: residual [1, 4] and input [2, 4] differ; broadcasting is not allowed", Error);
  CHECK_THROWS_WITH_AS(layer_norm(x, Variable(randn({4}, 247, DType::Float32)), Variable()),
                       "layer_norm: weight float32 [4] does not match the normalised axis of input float64 [2, 4] "
                       "(expected [4])",
                       Error);
  CHECK_THROWS_WITH_AS(add_layer_norm(x, x, Variable(randn({5}, 248)), Variable()),
                       "add_layer_norm: weight [5] does not match the normalised axis of input [2, 4] (expected [4])",
                       Error);
}

TEST_CASE("layer_norm speed: fused vs composed at [196, 8, 256]" * doctest::skip()) {
  // Forward and backward of LN(x + residual) as the post-norm transformer layers use it, float32.
  const Tensor x = randn({196, 8, 256}, 250, DType::Float32), r = randn({196, 8, 256}, 251, DType::Float32);
  const Tensor w = randn({256}, 252, DType::Float32), b = randn({256}, 253, DType::Float32);
  const Tensor seed = randn({196, 8, 256}, 254, DType::Float32);
  auto time = [&](const char* what, const std::function<Variable(const std::vector<Variable>&)>& f) {
    std::vector<double> fwd, total;
    for (int i = 0; i < 21; ++i) {
      std::vector<Variable> v{Variable(x, true), Variable(r, true), Variable(w, true), Variable(b, true)};
      const auto t0 = std::chrono::steady_clock::now();
      Variable y = f(v);
      const auto t1 = std::chrono::steady_clock::now();
      y.backward(seed);
      const auto t2 = std::chrono::steady_clock::now();
      fwd.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      total.push_back(std::chrono::duration<double, std::milli>(t2 - t0).count());
    }
    std::sort(fwd.begin(), fwd.end());
    std::sort(total.begin(), total.end());
    std::printf("[speed] %-36s forward %7.3f ms  forward+backward %7.3f ms (median of 21, %d threads)\n", what,
                fwd[10], total[10], omp_get_max_threads());
    return total[10];
  };
  const double composed_ln =
      time("composed layer_norm_reference", [](auto v) { return layer_norm_reference(v[0], v[2], v[3]); });
  const double fused_ln = time("fused layer_norm", [](auto v) { return layer_norm(v[0], v[2], v[3]); });
  const double composed_add =
      time("composed LN(add(x, r))", [](auto v) { return layer_norm_reference(add(v[0], v[1]), v[2], v[3]); });
  const double fused_add = time("fused add_layer_norm", [](auto v) { return add_layer_norm(v[0], v[1], v[2], v[3]); });
  std::printf("[speed] layer_norm composed / fused = %.1fx, add + layer_norm composed / fused = %.1fx\n",
              composed_ln / fused_ln, composed_add / fused_add);
  CHECK(fused_ln < composed_ln);
}

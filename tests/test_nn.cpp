// Neural-network functions: small hand-computed cases, the fused softmax against the same
// formula composed from primitives, dropout determinism, and the error messages.
// The finite-difference checks live in test_gradcheck_nn.cpp.
#include <omp.h>

#include <cmath>
#include <limits>

#include "autograd/functions.h"
#include "nn_helpers.h"
#include "tensor/elementwise.h"
#include "test_util.h"

using namespace uniad;
using namespace uniad::ag;
using test::check_close;
using test::composed_softmax;
using test::randn;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

Tensor vec(std::vector<double> v, Shape shape, DType dtype = DType::Float64) {
  return Tensor::from_vector(v, shape, dtype);
}

}  // namespace

TEST_CASE("softmax hand-computed: [0, ln 2, -inf] is [1/3, 2/3, 0]") {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    const Tensor y = softmax(Variable(vec({0, std::log(2.0), -kInf}, {3}, dtype))).data();
    check_close(std::string("softmax [0, ln 2, -inf] ") + dtype_name(dtype), y, vec({1.0 / 3, 2.0 / 3, 0}, {3}, dtype),
                dtype == DType::Float32 ? 1e-7 : 1e-15);
    CHECK(y.at({2}) == 0.0);
  }
  // Huge logits do not overflow: the row maximum is subtracted before exp().
  check_close("softmax [1000, 1000, -1000]", softmax(Variable(vec({1000, 1000, -1000}, {3}, DType::Float32))).data(),
              vec({0.5, 0.5, 0}, {3}, DType::Float32), 0);
}

TEST_CASE("softmax: all -inf logits give zeros, and NaN logits still give NaN") {
  const Tensor x = vec({1, 2, -kInf, -kInf}, {2, 2});
  const Tensor y = softmax(Variable(x)).data();
  check_close("softmax [[1, 2], [-inf, -inf]]", y, vec({1 / (1 + std::exp(1.0)), 1 / (1 + std::exp(-1.0)), 0, 0}, {2, 2}),
              1e-15);
  CHECK(y.at({1, 0}) == 0.0);
  CHECK(y.at({1, 1}) == 0.0);
  const Tensor with_nan = softmax(Variable(vec({NAN, -kInf}, {2}))).data();
  CHECK(std::isnan(with_nan.at({0})));
}

TEST_CASE("softmax: the fused kernel matches the composed formula, values and gradients") {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    // Logits [B*H, L, L] = [6, 5, 5] plus a finite [L, L] mask (the composed form cannot take
    // a fully masked row), both requiring gradients.
    const Tensor x0 = randn({6, 5, 5}, 80, dtype), m0 = randn({5, 5}, 81, dtype), seed = randn({6, 5, 5}, 82, dtype);
    Variable x1(x0, true), m1(m0, true), x2(x0, true), m2(m0, true);
    Variable fused = softmax(x1, m1);
    Variable composed = composed_softmax(x2, m2);
    fused.backward(seed);
    composed.backward(seed);
    const double tol = dtype == DType::Float32 ? 1e-6 : 1e-14;
    const std::string tag = std::string(" ") + dtype_name(dtype);
    check_close("softmax fused vs composed: value" + tag, fused.data(), composed.data(), tol);
    check_close("softmax fused vs composed: grad x" + tag, x1.grad(), x2.grad(), tol);
    check_close("softmax fused vs composed: grad mask" + tag, m1.grad(), m2.grad(), 5 * tol);
  }
}

TEST_CASE("softmax at UniAD's attention size: the threaded kernel matches the composed formula") {
  // Logits [B*H, L, L] = [2*8, 196, 196] in float32 with the 7 x 7 neighbour mask of the
  // 14 x 14 grid: large enough that rows are spread over OpenMP threads.
  const Tensor mask = test::neighbour_mask(14, 14, 3, DType::Float32);  // [196, 196]
  const Tensor x = randn({16, 196, 196}, 97, DType::Float32);
  const Tensor fused = softmax(Variable(x), Variable(mask)).data();
  check_close("softmax [16,196,196] + neighbour mask vs composed", fused,
              composed_softmax(Variable(x), Variable(mask)).data(), 1e-6);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const Tensor one_thread = softmax(Variable(x), Variable(mask)).data();
  omp_set_num_threads(threads);
  CHECK(test::max_abs_diff(one_thread, fused) == 0.0);  // each row is computed the same way
}

TEST_CASE("softmax: a mask that does not broadcast to the logits names both shapes") {
  const Variable x(randn({2, 3, 3}, 83));
  CHECK_THROWS_WITH_AS(softmax(x, Variable(randn({4, 4}, 84))),
                       "softmax: mask [4, 4] does not broadcast to logits [2, 3, 3]", Error);
  CHECK_THROWS_WITH_AS(softmax(x, Variable(randn({1, 2, 3, 3}, 85))),
                       "softmax: mask [1, 2, 3, 3] does not broadcast to logits [2, 3, 3]", Error);
  CHECK_THROWS_WITH_AS(softmax(x, Variable(randn({3, 3}, 86, DType::Float32))),
                       "softmax: mask is float32 [3, 3] but logits are float64 [2, 3, 3]", Error);
}

TEST_CASE("layer_norm hand-computed: [1, 2, 3] is [-1.2247, 0, 1.2247]") {
  // mean 2, biased variance 2/3: (x - 2) / sqrt(2/3 + 1e-5)
  const double s = 1.0 / std::sqrt(2.0 / 3.0 + 1e-5);
  const Tensor y = layer_norm(Variable(vec({1, 2, 3}, {3})), Variable(), Variable()).data();
  check_close("layer_norm [1, 2, 3]", y, vec({-s, 0, s}, {3}), 1e-15);
  check_close("layer_norm [1, 2, 3] (4 digits)", y, vec({-1.2247, 0, 1.2247}, {3}), 1e-4);
  // weight 2, bias 1 (per feature): 2 y + 1
  const Tensor affine =
      layer_norm(Variable(vec({1, 2, 3}, {3})), Variable(vec({2, 2, 2}, {3})), Variable(vec({1, 1, 1}, {3}))).data();
  check_close("layer_norm [1, 2, 3] * 2 + 1", affine, vec({1 - 2 * s, 1, 1 + 2 * s}, {3}), 1e-15);
}

TEST_CASE("layer_norm: float32 rows with a large offset keep their precision") {
  // A mean of 1e4 with unit spread. The variance is taken of centred values, so it keeps its
  // digits (a float32 E[x^2] - E[x]^2 would not); what remains is float32's rounding of x + 1e4
  // itself, about 1e-3.
  const Tensor x = randn({4, 64}, 87);
  const Tensor shifted = ops::add_scalar(x, 1e4).to(DType::Float32);
  const Tensor expected = layer_norm(Variable(x), Variable(), Variable()).data().to(DType::Float32);
  check_close("layer_norm float32 of x + 1e4 vs float64 of x", layer_norm(Variable(shifted), Variable(), Variable()).data(),
              expected, 5e-3);
}

TEST_CASE("layer_norm: a weight of the wrong size names the shapes") {
  const Variable x(randn({2, 4}, 88));
  CHECK_THROWS_WITH_AS(layer_norm(x, Variable(randn({3}, 89)), Variable()),
                       "layer_norm: weight [3] does not match the normalised axis of input [2, 4] (expected [4])", Error);
  CHECK_THROWS_WITH_AS(layer_norm(x, Variable(), Variable(randn({4, 1}, 90))),
                       "layer_norm: bias [4, 1] does not match the normalised axis of input [2, 4] (expected [4])",
                       Error);
}

TEST_CASE("dropout: identity in eval mode and at p = 0, zeros at p = 1") {
  const Variable x(randn({3, 4}, 91), true);
  Generator gen(5);
  const auto before = gen.state();
  CHECK(dropout(x, 0.5, false, gen).data().to_vector() == x.data().to_vector());
  CHECK(dropout(x, 0.0, true, gen).data().to_vector() == x.data().to_vector());
  CHECK(gen.state() == before);  // neither drew a number
  Variable zeros = dropout(x, 1.0, true, gen);
  CHECK(zeros.data().to_vector() == std::vector<double>(12, 0.0));
  sum(zeros).backward();
  CHECK(x.grad().to_vector() == std::vector<double>(12, 0.0));
  CHECK_THROWS_WITH_AS(dropout(x, 1.5, true, gen), "dropout: probability 1.5 is outside [0, 1]", Error);
}

TEST_CASE("dropout: the same seed gives the same mask, independent of strides and threads") {
  const Tensor x = Tensor::ones({64, 50}, DType::Float32);
  auto draw = [&](uint64_t seed, const Tensor& input) {
    Generator gen(seed);
    return dropout(Variable(input), 0.3, true, gen).data().to_vector();
  };
  const auto a = draw(42, x);
  CHECK(a == draw(42, x));
  CHECK(a != draw(43, x));
  // A transposed view and its contiguous copy see the same row-major draw order.
  const Tensor t = randn({50, 64}, 92, DType::Float32);
  CHECK(draw(42, t.transpose(0, 1)) == draw(42, t.transpose(0, 1).contiguous()));
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto one_thread = draw(42, x);
  omp_set_num_threads(threads);
  CHECK(one_thread == a);
}

TEST_CASE("dropout: the kept fraction is close to 1 - p and kept values are scaled by 1/(1 - p)") {
  const double p = 0.3;
  Generator gen(123);
  const auto y = dropout(Variable(Tensor::ones({400, 250}, DType::Float32)), p, true, gen).data().to_vector();
  int64_t kept = 0;
  for (double v : y) {
    if (v == 0.0) continue;
    ++kept;
    REQUIRE(v == static_cast<float>(1.0 / (1.0 - p)));
  }
  // 1e5 draws: the standard deviation of the fraction is sqrt(0.21 / 1e5) = 0.0015.
  const double fraction = static_cast<double>(kept) / static_cast<double>(y.size());
  std::printf("[dropout] p = 0.3 kept %.4f of 1e5 (expected 0.7)\n", fraction);
  CHECK(std::abs(fraction - (1 - p)) < 0.01);
}

TEST_CASE("embedding hand-computed: rows gathered, repeated rows add their gradients") {
  Variable w(vec({0, 1, 10, 11, 20, 21}, {3, 2}), true);  // V = 3, D = 2
  const Tensor idx = Tensor::from_indices({2, 0, 2, 2}, {2, 2});
  Variable y = embedding(idx, w);  // [2, 2, 2]
  CHECK(y.shape() == Shape{2, 2, 2});
  CHECK(y.data().to_vector() == std::vector<double>{20, 21, 0, 1, 20, 21, 20, 21});
  sum(y).backward();
  CHECK(w.grad().to_vector() == std::vector<double>{1, 1, 0, 0, 3, 3});
}

TEST_CASE("embedding at UniAD's size: the threaded gather copies the right rows") {
  // Weight [L, D] = [196, 256] looked up at [B, L] = [8, 196] positions: the parallel path.
  const Tensor w = randn({196, 256}, 98, DType::Float32);
  std::vector<int64_t> ids(8 * 196);
  for (size_t p = 0; p < ids.size(); ++p) ids[p] = static_cast<int64_t>((p * 37) % 196);
  const Tensor out = embedding(Tensor::from_indices(ids, {8, 196}), Variable(w)).data();  // [8, 196, 256]
  REQUIRE(out.shape() == Shape{8, 196, 256});
  const Tensor rows = out.reshape({-1, 256});
  int64_t wrong = 0;
  for (size_t p = 0; p < ids.size(); ++p)
    wrong += rows.select(0, static_cast<int64_t>(p)).to_vector() != w.select(0, ids[p]).to_vector();
  CHECK(wrong == 0);
}

TEST_CASE("embedding: bad indices name the index, V and the shapes") {
  const Variable w(randn({5, 3}, 93));
  CHECK_THROWS_WITH_AS(embedding(Tensor::from_indices({0, 1, 4, 5}, {2, 2}), w),
                       "embedding: index 5 at position [1, 1] of indices [2, 2] is out of range [0, V) with V = 5 "
                       "(weight [5, 3])",
                       Error);
  CHECK_THROWS_WITH_AS(embedding(Tensor::from_indices({-1}, {1}), w),
                       "embedding: index -1 at position [0] of indices [1] is out of range [0, V) with V = 5 "
                       "(weight [5, 3])",
                       Error);
  CHECK_THROWS_WITH_AS(embedding(Tensor::zeros({2}, DType::Float32), w),
                       "embedding: indices must be int64, got float32 [2]", Error);
  CHECK_THROWS_WITH_AS(embedding(Tensor::from_indices({0}, {1}), Variable(randn({5}, 94))),
                       "embedding: weight must be [V, D], got [5]", Error);
}

TEST_CASE("mse_loss hand-computed, and no broadcasting") {
  Variable p(vec({1, 2, 3}, {3}), true);
  Variable loss = mse_loss(p, vec({1, 0, 0}, {3}));
  CHECK(loss.shape() == Shape{});
  CHECK(loss.item() == doctest::Approx(13.0 / 3.0).epsilon(1e-15));
  loss.backward();
  check_close("mse_loss gradient 2 (p - t) / n", p.grad(), vec({0, 4.0 / 3, 2}, {3}), 1e-15);
  CHECK_THROWS_WITH_AS(mse_loss(Variable(randn({2, 3}, 95)), randn({3}, 96)),
                       "mse_loss: prediction [2, 3] and target [3] differ; broadcasting is not allowed", Error);
}

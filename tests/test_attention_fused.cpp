// The fused attention op (ag::scaled_dot_attention, tensor/attention.h) against its composed
// reference (matmul, softmax, dropout multiply, matmul): values and q/k/v gradients in float32
// and float64, with and without the neighbour mask, a fully masked row, odd sizes, the strided
// head-split views MultiheadAttention passes, dropout with the identical counter mask, thread
// counts, and a finite-difference check through the fused op.
#include <omp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>

#include "autograd/functions.h"
#include "nn/attention.h"
#include "nn_helpers.h"
#include "tensor/attention.h"
#include "tensor/elementwise.h"
#include "test_util.h"

using namespace uniad;
using namespace uniad::ag;
using test::check_close;
using test::randn;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

struct Case {
  int64_t N, L, S, hd;
  bool mask, masked_row;  // a mask; row 1 of it entirely -inf
  double p = 0;           // dropout in training
  double q_scale = 1;     // large values drive exp() over its whole float range
};

struct Run {
  Tensor context, weights, dq, dk, dv;  // grads of the [T, N, hd] leaves
};

// q, k, v as MultiheadAttention makes them: [T, N, hd] leaves seen through transpose(0, 1).
Run run(bool fused, const Case& c, DType dtype, uint64_t dropout_seed = 7) {
  // (Tensor::from_vector, under rand_normal, passes memcpy a null pointer for an empty tensor.)
  auto draw = [&](const Shape& shape, uint64_t seed) {
    return numel_of(shape) == 0 ? Tensor::zeros(shape, dtype) : randn(shape, seed, dtype);
  };
  const Tensor q0 = ops::mul_scalar(draw({c.L, c.N, c.hd}, 11), c.q_scale);
  const Tensor k0 = draw({c.S, c.N, c.hd}, 12), v0 = draw({c.S, c.N, c.hd}, 13);
  Variable ql(q0.clone(), true), kl(k0.clone(), true), vl(v0.clone(), true);
  Variable mask;
  if (c.mask) {
    Tensor m = Tensor::zeros({c.L, c.S}, dtype);
    for (int64_t i = 0; i < c.L; ++i)
      for (int64_t j = 0; j < c.S; ++j)
        m.set({i, j}, (c.masked_row && i == 1) || (i + j) % 3 == 0 ? -kInf : 0.0);
    mask = Variable(m);
  }
  Generator gen(dropout_seed);
  const Variable q = transpose(ql, 0, 1), k = transpose(kl, 0, 1), v = transpose(vl, 0, 1);
  const AttentionResult r = fused ? scaled_dot_attention(q, k, v, mask, c.p, c.p > 0, gen, true)
                                  : scaled_dot_attention_reference(q, k, v, mask, c.p, c.p > 0, gen, true);
  r.context.backward(draw(r.context.shape(), 15));
  return {r.context.data(), r.weights.data(), ql.grad(), kl.grad(), vl.grad()};
}

void compare(const std::string& what, const Run& a, const Run& b, double atol) {
  check_close(what + " context", a.context, b.context, atol, atol);
  check_close(what + " weights", a.weights, b.weights, atol, atol);
  check_close(what + " dq", a.dq, b.dq, atol, atol);
  check_close(what + " dk", a.dk, b.dk, atol, atol);
  check_close(what + " dv", a.dv, b.dv, atol, atol);
}

std::string name(const Case& c, DType dtype) {
  return cat(dtype_name(dtype), " N", c.N, " L", c.L, " S", c.S, " hd", c.hd, c.mask ? " mask" : "",
             c.masked_row ? "+row" : "", c.p > 0 ? cat(" p", c.p) : std::string(),
             c.q_scale != 1 ? cat(" x", c.q_scale) : std::string());
}

const std::vector<Case> kCases = {
    {3, 5, 7, 3, false, false},  {3, 5, 7, 3, true, false}, {2, 6, 4, 1, true, true},
    {2, 7, 9, 33, true, true},   {1, 4, 4, 8, true, false}, {4, 9, 5, 32, false, false},
    {3, 20, 37, 5, true, true},  {2, 17, 70, 4, true, false, 0, 30},  // vector lanes and tails; huge logits
    {2, 3, 0, 4, true, false},   // no keys at all: zero context and gradients
};

}  // namespace

TEST_CASE("attention fused: forward and q/k/v gradients match the composed reference") {
  for (const Case& c : kCases) {
    compare(name(c, DType::Float64), run(true, c, DType::Float64), run(false, c, DType::Float64), 1e-12);
    compare(name(c, DType::Float32), run(true, c, DType::Float32), run(false, c, DType::Float32), 5e-6);
  }
}

TEST_CASE("attention fused: dropout draws the reference's counter mask") {
  for (Case c : kCases) {
    c.p = 0.3;
    compare(name(c, DType::Float64), run(true, c, DType::Float64), run(false, c, DType::Float64), 1e-12);
    compare(name(c, DType::Float32), run(true, c, DType::Float32), run(false, c, DType::Float32), 5e-6);
  }
  // The mask really drops: a different key gives a different context. p = 1 drops everything.
  const Case c{3, 5, 7, 3, true, false, 0.3};
  CHECK(test::max_abs_diff(run(true, c, DType::Float64, 7).context, run(true, c, DType::Float64, 8).context) > 1e-3);
  const Case all{3, 5, 7, 3, true, false, 1.0};
  const Run dropped = run(true, all, DType::Float64);
  check_close("p = 1 context", dropped.context, Tensor::zeros(dropped.context.shape(), DType::Float64), 0);
  check_close("p = 1 dq", dropped.dq, Tensor::zeros(dropped.dq.shape(), DType::Float64), 0);
}

TEST_CASE("attention fused: a fully masked row attends to nothing and gets zero gradient") {
  const Case c{2, 6, 4, 3, true, true};
  const Run r = run(true, c, DType::Float64);
  double largest = 0;
  for (int64_t n = 0; n < c.N; ++n)
    for (int64_t d = 0; d < c.hd; ++d)
      largest = std::max({largest, std::abs(r.context.at({n, 1, d})), std::abs(r.dq.at({1, n, d}))});
  std::printf("[compare] %-48s max |value| = %.3e\n", "masked row: context and dq", largest);
  CHECK(largest == 0);
}

TEST_CASE("attention fused: results do not depend on the thread count") {
  const int saved = omp_get_max_threads();
  const Case c{5, 9, 11, 6, true, true, 0.2};
  omp_set_num_threads(1);
  const Run one = run(true, c, DType::Float32);
  omp_set_num_threads(2);
  const Run two = run(true, c, DType::Float32);
  omp_set_num_threads(saved);
  compare("1 vs 2 threads", one, two, 0);
}

TEST_CASE("attention fused: eval without weights, and a mask that requires grad") {
  const Tensor q = randn({3, 5, 3}, 21), k = randn({3, 7, 3}, 22), v = randn({3, 7, 3}, 23);
  const Tensor m = test::neighbour_mask(1, 7, 1).slice(0, 0, 5);  // [5, 7]
  Generator gen(0);
  Tensor expected = scaled_dot_attention_reference(Variable(q), Variable(k), Variable(v), Variable(m), 0.5, false, gen)
                        .context.data();
  {
    NoGradGuard no_grad;  // no weights kept at all
    const AttentionResult r = scaled_dot_attention(Variable(q), Variable(k), Variable(v), Variable(m), 0.5, false, gen);
    check_close("eval, no grad", r.context.data(), expected, 1e-12);
    CHECK_FALSE(r.weights.defined());
  }
  // The fused kernels do not differentiate the mask: the op runs the reference instead.
  Variable mask(m.clone(), true);
  Variable qv(q, true);
  sum(scaled_dot_attention(qv, Variable(k), Variable(v), mask, 0.0, true, gen).context).backward();
  CHECK(mask.grad().defined());
  CHECK(qv.grad().defined());
}

TEST_CASE("gradcheck: fused attention with mask, masked row and dropout") {
  for (const double p : {0.0, 0.4}) {
    const Tensor mask = test::neighbour_mask(2, 3, 0);  // [6, 6], the diagonal excluded
    test::expect_gradcheck(
        cat("fused attention p=", p),
        [&](const std::vector<Variable>& x) {
          Generator gen(3);  // the same dropout mask on every evaluation
          return scaled_dot_attention(transpose(x[0], 0, 1), transpose(x[1], 0, 1), transpose(x[2], 0, 1),
                                      Variable(mask), p, true, gen)
              .context;
        },
        {randn({6, 2, 3}, 31), randn({6, 2, 3}, 32), randn({6, 2, 3}, 33)});
  }
}

TEST_CASE("attention fused: MultiheadAttention trains through the fused op like the reference") {
  // The module's output and parameter gradients, dropout on, against the same module with the
  // attention recomputed by the reference from its own projections.
  Generator init(5);
  nn::MultiheadAttention mha(12, 3, 0.25, init);
  mha.train();
  const Tensor x = randn({6, 2, 12}, 41, DType::Float32), mask = test::neighbour_mask(2, 3, 0, DType::Float32);
  Generator* const owner = &init;  // the module draws its dropout key from `init`
  const std::array<uint64_t, 4> state = owner->state();
  const Variable out = mha.forward(Variable(x), Variable(x), Variable(x), Variable(mask)).output;
  sum(mul(out, Variable(randn(out.shape(), 42, DType::Float32)))).backward();
  const Tensor fused_out = out.data(), fused_grad = mha.in_proj_weight.grad().clone();
  mha.zero_grad();

  owner->set_state(state);
  const int64_t D = 12, H = 3, hd = 4, B = 2, L = 6;
  auto project = [&](int64_t b) {
    return linear(Variable(x), slice(mha.in_proj_weight, 0, b * D, (b + 1) * D), slice(mha.in_proj_bias, 0, b * D, (b + 1) * D));
  };
  auto heads_first = [&](const Variable& t) { return transpose(reshape(t, {L, B * H, hd}), 0, 1); };
  const Variable q = heads_first(mul_scalar(project(0), 1.0 / 2.0)), k = heads_first(project(1)), v = heads_first(project(2));
  const AttentionResult r = scaled_dot_attention_reference(q, k, v, Variable(mask), 0.25, true, *owner);
  const Variable ref = mha.out_proj->forward(reshape(transpose(r.context, 0, 1), {L, B, D}));
  sum(mul(ref, Variable(randn(ref.shape(), 42, DType::Float32)))).backward();
  check_close("MultiheadAttention output", fused_out, ref.data(), 2e-6, 2e-6);
  check_close("MultiheadAttention d in_proj_weight", fused_grad, mha.in_proj_weight.grad(), 2e-6, 2e-6);
}

// Per-call time at the paper size (B*H = 64, L = S = 196, hd = 32, p = 0.1, training, forward +
// backward), fused against composed in one process. A measurement, so skipped by default:
//   build/tests/uniad_tests -tc='attention fused: paper-size timing' --no-skip
TEST_CASE("attention fused: paper-size timing" * doctest::skip()) {
  const int64_t N = 64, L = 196, hd = 32;
  const Tensor q0 = randn({L, N, hd}, 1, DType::Float32), k0 = randn({L, N, hd}, 2, DType::Float32);
  const Tensor v0 = randn({L, N, hd}, 3, DType::Float32), g = randn({N, L, hd}, 4, DType::Float32);
  const Tensor mask = test::neighbour_mask(14, 14, 1, DType::Float32);
  Generator gen(0);
  auto once = [&](bool fused, double p, bool backward) {
    Variable ql(q0, true), kl(k0, true), vl(v0, true);
    const auto t0 = std::chrono::steady_clock::now();
    const Variable q = transpose(ql, 0, 1), k = transpose(kl, 0, 1), v = transpose(vl, 0, 1);
    const AttentionResult r = fused ? scaled_dot_attention(q, k, v, Variable(mask), p, true, gen)
                                    : scaled_dot_attention_reference(q, k, v, Variable(mask), p, true, gen);
    if (backward) r.context.backward(g);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() * 1e3;
  };
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  for (const double p : {0.0, 0.1})
    for (const bool bwd : {false, true}) {
      std::vector<double> composed, fused, ratio;  // interleaved, so load changes hit both alike
      for (int rep = 0; rep < 9; ++rep) {
        composed.push_back(once(false, p, bwd));
        fused.push_back(once(true, p, bwd));
        ratio.push_back(fused.back() / composed.back());
      }
      std::printf("[timing] p=%.1f %-16s composed %7.2f ms  fused %7.2f ms  median ratio %.2f\n", p,
                  bwd ? "forward+backward" : "forward", median(composed), median(fused), median(ratio));
    }
}

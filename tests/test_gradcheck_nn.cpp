// Finite-difference checks (float64) for the neural-network functions: softmax with and without
// an additive -inf mask, layer norm, dropout, embedding, MSE, and masked multi-head attention
// composed from primitives the way UniAD uses it (sequence-first tokens, one shared L x L mask).
#include <cmath>
#include <limits>

#include "autograd/functions.h"
#include "nn_helpers.h"
#include "test_util.h"

using namespace uniad;
using namespace uniad::ag;
using test::expect_gradcheck;
using test::neighbour_mask;
using test::randn;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

bool has_nan(const Tensor& t) {
  for (double v : t.to_vector())
    if (std::isnan(v)) return true;
  return false;
}

// Multi-head attention built only from primitives, with PyTorch's head layout.
// q [Lq, B, D], k and v [Lk, B, D], mask [Lq, Lk] added to every head -> [Lq, B, D].
Variable masked_attention(const Variable& q, const Variable& k, const Variable& v, const Variable& mask,
                          int64_t heads) {
  const int64_t B = q.size(1), D = q.size(2), hd = D / heads;
  // [L, B, D] -> [L, B*H, hd] -> [B*H, L, hd]
  auto split_heads = [&](const Variable& t) { return transpose(reshape(t, {t.size(0), B * heads, hd}), 0, 1); };
  Variable qh = split_heads(q), kh = split_heads(k), vh = split_heads(v);
  Variable logits = mul_scalar(matmul(qh, transpose(kh, 1, 2)), 1.0 / std::sqrt(double(hd)));  // [B*H, Lq, Lk]
  Variable weights = softmax(logits, mask);                                                     // [B*H, Lq, Lk]
  Variable out = matmul(weights, vh);                                                           // [B*H, Lq, hd]
  return reshape(transpose(out, 0, 1), {q.size(0), B, D});                                      // [Lq, B, D]
}

}  // namespace

TEST_CASE("gradcheck: softmax without mask, on a transposed input, and of -inf logits") {
  expect_gradcheck("softmax [3,5]", [](auto v) { return softmax(v[0]); }, {randn({3, 5}, 40)});
  expect_gradcheck("softmax [2,3,4] batched", [](auto v) { return softmax(v[0]); }, {randn({2, 3, 4}, 41)});
  // Rows of the transpose run down the columns of the stored data (stride 3, not 1).
  expect_gradcheck("softmax of transposed [4,3]^T", [](auto v) { return softmax(transpose(v[0], 0, 1)); },
                   {randn({4, 3}, 42)});
  Tensor x = randn({3, 4}, 43);
  x.set({0, 2}, -kInf);
  expect_gradcheck("softmax with -inf logits in x", [](auto v) { return softmax(v[0]); }, {x});
}

TEST_CASE("gradcheck: softmax with a broadcast additive mask holding -inf entries") {
  // Logits [B*H, L, L] = [3, 4, 4]; one [L, L] mask shared by all of them, as in UniAD.
  Tensor mask = Tensor::zeros({4, 4}, DType::Float64);
  for (int64_t i = 0; i < 4; ++i) mask.set({i, i}, -kInf);  // every token hides itself
  mask.set({0, 3}, -kInf);
  mask.set({2, 1}, 0.7);  // a finite bias too
  expect_gradcheck("softmax [3,4,4] + mask [4,4] (grad x)", [mask](auto v) { return softmax(v[0], Variable(mask)); },
                   {randn({3, 4, 4}, 44)});
  // Finite differences at a -inf entry stay at -inf, so the numeric gradient there is 0, which
  // is what the analytic one must give too.
  expect_gradcheck("softmax [3,4,4] + mask [4,4] (grad x and mask)", [](auto v) { return softmax(v[0], v[1]); },
                   {randn({3, 4, 4}, 45), mask});
  expect_gradcheck("softmax [2,3,4] + mask [3,1]", [](auto v) { return softmax(v[0], v[1]); },
                   {randn({2, 3, 4}, 46), randn({3, 1}, 47)});
}

TEST_CASE("softmax: a fully masked row gives exact zeros and a zero gradient, no NaN") {
  Tensor mask = Tensor::zeros({3, 4}, DType::Float64);
  for (int64_t j = 0; j < 4; ++j) mask.set({1, j}, -kInf);  // row 1 sees nothing
  mask.set({2, 0}, -kInf);
  Variable x(randn({3, 4}, 48), true);
  Variable m(mask, true);
  Variable y = softmax(x, m);
  for (int64_t j = 0; j < 4; ++j) CHECK(y.data().at({1, j}) == 0.0);
  CHECK_FALSE(has_nan(y.data()));
  y.backward(randn({3, 4}, 49));
  for (int64_t j = 0; j < 4; ++j) CHECK(x.grad().at({1, j}) == 0.0);
  CHECK_FALSE(has_nan(x.grad()));
  CHECK_FALSE(has_nan(m.grad()));
  expect_gradcheck("softmax with a fully masked row", [](auto v) { return softmax(v[0], v[1]); },
                   {randn({3, 4}, 48), mask});
}

TEST_CASE("gradcheck: layer_norm with and without affine parameters on non-contiguous input") {
  // x is stored [5, 2, 3]; the op sees the permuted view [2, 3, 5] and normalises over 5.
  const Tensor x = randn({5, 2, 3}, 50);
  expect_gradcheck("layer_norm, no affine, permuted input",
                   [](auto v) { return layer_norm(permute(v[0], {1, 2, 0}), Variable(), Variable()); }, {x});
  expect_gradcheck("layer_norm, weight and bias, permuted input",
                   [](auto v) { return layer_norm(permute(v[0], {1, 2, 0}), v[1], v[2]); },
                   {x, randn({5}, 51), randn({5}, 52)});
  expect_gradcheck("layer_norm, weight only, eps 1e-3", [](auto v) { return layer_norm(v[0], v[1], Variable(), 1e-3); },
                   {randn({4, 6}, 53), randn({6}, 54)});
}

TEST_CASE("gradcheck: dropout in training with a fixed generator") {
  // The generator is re-created from its seed inside f, so every finite-difference evaluation
  // draws the same mask and f is an ordinary (piecewise linear) function of x.
  expect_gradcheck("dropout p=0.4 training, seed 7", [](auto v) {
    Generator gen(7);
    return dropout(v[0], 0.4, true, gen);
  }, {randn({4, 5}, 55)});
  expect_gradcheck("dropout of a transposed view", [](auto v) {
    Generator gen(8);
    return dropout(transpose(v[0], 0, 1), 0.5, true, gen);
  }, {randn({3, 4}, 56)});
}

TEST_CASE("gradcheck: embedding with repeated indices and a transposed weight") {
  // Row 2 is picked three times and row 0 twice, so the backward must add, not overwrite;
  // row 3 is never picked and must get a zero gradient.
  const Tensor idx = Tensor::from_indices({2, 0, 2, 1, 2, 0}, {2, 3});
  expect_gradcheck("embedding [2,3] from [4,5]", [idx](auto v) { return embedding(idx, v[0]); }, {randn({4, 5}, 57)});
  expect_gradcheck("embedding from a transposed weight [5,4]^T",
                   [idx](auto v) { return embedding(idx, transpose(v[0], 0, 1)); }, {randn({5, 4}, 58)});
  const Tensor flat = Tensor::from_indices({3, 3, 3}, {3});
  expect_gradcheck("embedding of one row three times", [flat](auto v) { return embedding(flat, v[0]); },
                   {randn({4, 2}, 59)});
}

TEST_CASE("gradcheck: mse_loss") {
  const Tensor target = randn({3, 4}, 61);
  expect_gradcheck("mse_loss [3,4]", [target](auto v) { return mse_loss(v[0], target); }, {randn({3, 4}, 60)});
  expect_gradcheck("mse_loss of a transposed prediction",
                   [target](auto v) { return mse_loss(transpose(v[0], 0, 1), target); }, {randn({4, 3}, 62)});
}

TEST_CASE("gradcheck: masked multi-head attention composed from primitives, end to end") {
  // Tokens on a 3 x 4 grid (L = 12), B = 2, D = 4, H = 2 heads of width 2. Every token hides its
  // 3 x 3 neighbourhood, as UniAD's neighbour mask does with 7 x 7 on the 14 x 14 grid.
  const int64_t L = 12, B = 2, D = 4, H = 2;
  const Tensor mask = neighbour_mask(3, 4, 1);  // [L, L]
  const Tensor pos = randn({L, 1, D}, 70);      // added to queries and keys, never to values
  auto layer = [=](const std::vector<Variable>& v) {
    // v = {x [L, B, D], Wq, Wk, Wv [D, D]}
    Variable with_pos = add(v[0], Variable(pos));
    return masked_attention(linear(with_pos, v[1]), linear(with_pos, v[2]), linear(v[0], v[3]), Variable(mask), H);
  };
  expect_gradcheck("masked attention (x, Wq, Wk, Wv)", layer,
                   {randn({L, B, D}, 71), randn({D, D}, 72), randn({D, D}, 73), randn({D, D}, 74)});

  // The point of the mask: output token i reads no key or value from its neighbourhood, so
  // those tokens get exactly zero gradient from it. Token i itself still reaches its output
  // through its own query.
  Variable x(randn({L, B, D}, 71), true);
  std::vector<Variable> args{x, Variable(randn({D, D}, 72)), Variable(randn({D, D}, 73)), Variable(randn({D, D}, 74))};
  const int64_t i = 5;  // grid (1, 1): neighbours 0, 1, 2, 4, 5, 6, 8, 9, 10
  sum(select(layer(args), 0, i)).backward();
  for (int64_t j = 0; j < L; ++j) {
    const bool hidden = mask.at({i, j}) == -kInf;
    double g = 0;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t d = 0; d < D; ++d) g += std::abs(x.grad().at({j, b, d}));
    CAPTURE(j);
    if (hidden && j != i) CHECK(g == 0.0);
    else CHECK(g > 0.0);
  }
}

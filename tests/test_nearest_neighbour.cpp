// The nearest-neighbour baseline (uniad/nearest_neighbour.h) against a brute-force loop in double.
#include <cmath>
#include <limits>
#include <vector>

#include "test_util.h"
#include "uniad/nearest_neighbour.h"

using namespace uniad;
using uniad::test::contains;
using uniad::test::error_of;

namespace {

// The plain reference: for every token of features [B, C, H, W], the Euclidean distance to the
// nearest token of bank_features [N, C, H, W], in double. -> [B, 1, H, W]
Tensor brute_force(const Tensor& bank_features, const Tensor& features) {
  const Tensor bank = bank_features.permute({0, 2, 3, 1}).contiguous().to(DType::Float64);  // [N, H, W, C]
  const Tensor x = features.permute({0, 2, 3, 1}).contiguous().to(DType::Float64);         // [B, H, W, C]
  const int64_t C = features.size(1), M = bank.numel() / C, T = x.numel() / C;
  const double* b = bank.data<double>();
  const double* a = x.data<double>();
  std::vector<double> out(T);
#pragma omp parallel for
  for (int64_t t = 0; t < T; ++t) {
    double best = std::numeric_limits<double>::infinity();
    for (int64_t m = 0; m < M; ++m) {
      double s = 0;
      for (int64_t c = 0; c < C; ++c) s += (a[t * C + c] - b[m * C + c]) * (a[t * C + c] - b[m * C + c]);
      best = std::min(best, s);
    }
    out[t] = std::sqrt(best);
  }
  return Tensor::from_vector(out, {features.size(0), 1, features.size(2), features.size(3)}, DType::Float64);
}

Tensor random_features(const Shape& shape, uint64_t seed) { return test::randn(shape, seed, DType::Float32); }

}  // namespace

TEST_CASE("nearest_neighbour anomaly_map matches a brute-force double loop") {
  const Tensor train = random_features({6, 8, 5, 7}, 1);  // 210 tokens of 8 channels
  const Tensor test = random_features({3, 8, 5, 7}, 2);
  const NearestNeighbourBaseline nn(train);
  CHECK(nn.bank_size() == 6 * 5 * 7);
  CHECK(nn.channels() == 8);
  const Tensor got = nn.anomaly_map(test);
  test::check_close("nn map vs brute force [3, 8, 5, 7]", got.to(DType::Float64), brute_force(train, test), 1e-5,
                    1e-5);
}

TEST_CASE("nearest_neighbour splits a large bank into several GEMM blocks and still matches") {
  // 65536 bank tokens: a 128 MB dot block holds 512 test tokens, so 800 tokens take two blocks.
  // Four channels of normal noise put nearest neighbours close (about 0.1), where the expanded
  // form ||a||^2 - 2 a.b + ||b||^2 loses most digits to cancellation.
  const Tensor train = random_features({256, 4, 16, 16}, 3);
  const Tensor test = random_features({2, 4, 20, 20}, 4);
  const NearestNeighbourBaseline nn(train);
  const Tensor got = nn.anomaly_map(test);
  test::check_close("nn map vs brute force, 2 blocks", got.to(DType::Float64), brute_force(train, test), 1e-5, 1e-4);
}

TEST_CASE("nearest_neighbour scores a token that is in the bank 0") {
  // Moved far from the origin: big norms, the worst case for the expanded form's cancellation.
  const Tensor train = random_features({4, 16, 6, 6}, 5);
  const auto v = train.to_vector();
  std::vector<double> s(v.size());
  for (size_t i = 0; i < v.size(); ++i) s[i] = 50.0 + v[i];
  const Tensor bank = Tensor::from_vector(s, train.shape());
  const NearestNeighbourBaseline nn(bank);
  const Tensor map = nn.anomaly_map(bank.slice(0, 1, 3));  // two of the training images
  const double worst = test::max_abs_diff(map, Tensor::zeros({2, 1, 6, 6}));
  MESSAGE("largest score of a bank token: ", worst);
  CHECK(worst == 0.0);
}

TEST_CASE("nearest_neighbour subsamples the bank to max_tokens, the same way for the same seed") {
  const Tensor train = random_features({5, 3, 4, 4}, 6);  // 80 tokens
  const NearestNeighbourBaseline a(train, {.max_tokens = 20, .seed = 7});
  const NearestNeighbourBaseline b(train, {.max_tokens = 20, .seed = 7});
  const NearestNeighbourBaseline c(train, {.max_tokens = 20, .seed = 8});
  CHECK(a.bank_size() == 20);
  CHECK(c.bank_size() == 20);
  CHECK(NearestNeighbourBaseline(train, {.max_tokens = 80}).bank_size() == 80);   // not smaller: all
  CHECK(NearestNeighbourBaseline(train, {.max_tokens = 500}).bank_size() == 80);  // more than there are
  CHECK(NearestNeighbourBaseline(train, {.max_tokens = 0}).bank_size() == 80);    // 0: no limit

  // The bank itself is not exposed; its distances show it. Every training token scores 0 exactly
  // when it was kept, so the zeros count the kept tokens and say which they are.
  const Tensor ma = a.anomaly_map(train), mb = b.anomaly_map(train), mc = c.anomaly_map(train);
  const auto va = ma.to_vector(), vc = mc.to_vector();
  int zeros_a = 0, zeros_c = 0, same_kept = 0;
  for (size_t i = 0; i < va.size(); ++i) {
    zeros_a += va[i] == 0;
    zeros_c += vc[i] == 0;
    same_kept += (va[i] == 0) && (vc[i] == 0);
  }
  const double seed_diff = test::max_abs_diff(ma, mb);
  MESSAGE("kept tokens seen: seed 7 ", zeros_a, ", seed 8 ", zeros_c, ", both ", same_kept,
          "; max |diff| between two builds with seed 7: ", seed_diff);
  CHECK(zeros_a == 20);
  CHECK(zeros_c == 20);
  CHECK(same_kept < 20);  // another seed keeps other tokens
  CHECK(seed_diff == 0.0);
}

TEST_CASE("nearest_neighbour rejects a channel mismatch and names both shapes") {
  const NearestNeighbourBaseline nn(random_features({2, 6, 3, 3}, 9));
  const std::string msg = error_of([&] { nn.anomaly_map(random_features({1, 5, 3, 3}, 10)); });
  CHECK(contains(msg, "[1, 5, 3, 3]"));
  CHECK(contains(msg, "[18, 6]"));
  CHECK(contains(error_of([&] { nn.anomaly_map(random_features({6, 3, 3}, 11)); }), "[6, 3, 3]"));
  CHECK(contains(error_of([&] { NearestNeighbourBaseline bad(Tensor::zeros({2, 6, 3, 3}, DType::Float64)); }),
                 "float64"));
  CHECK(contains(error_of([&] { NearestNeighbourBaseline bad(Tensor::zeros({0, 6, 3, 3})); }), "no tokens"));
}

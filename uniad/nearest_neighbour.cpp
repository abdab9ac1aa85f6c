#include "uniad/nearest_neighbour.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "tensor/gather.h"
#include "tensor/matmul.h"
#include "tensor/random.h"

namespace uniad {

namespace {

// The dot-product block of one GEMM ([rows, M] float32) stays under this many bytes.
constexpr int64_t kBlockBytes = int64_t(128) << 20;

void check_features(const Tensor& f, const char* what) {
  UNIAD_CHECK(f.defined() && f.dim() == 4, "nearest_neighbour: ", what, " must be [N, C, H, W], got ",
              f.defined() ? shape_str(f.shape()) : std::string("an undefined tensor"));
  UNIAD_CHECK(f.dtype() == DType::Float32, "nearest_neighbour: ", what, " must be float32, got ",
              dtype_name(f.dtype()), " ", shape_str(f.shape()));
  UNIAD_CHECK(f.device().is_cpu(), "nearest_neighbour: ", what, " must be on the CPU, got ", f.device().str());
}

// [N, C, H, W] -> [N * H * W, C], tokens in (n, y, x) order, contiguous.
Tensor tokens_of(const Tensor& features) {
  return features.permute({0, 2, 3, 1}).contiguous().view({-1, features.size(1)});
}

// k of the indices 0 .. n-1, chosen by a partial Fisher-Yates shuffle with the portable
// generator (the same seed picks the same tokens everywhere), returned in increasing order.
std::vector<int64_t> sample_indices(int64_t n, int64_t k, uint64_t seed) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  Generator gen(seed);
  for (int64_t i = 0; i < k; ++i) {
    const int64_t j = i + static_cast<int64_t>(gen.next_u64() % static_cast<uint64_t>(n - i));
    std::swap(order[i], order[j]);
  }
  order.resize(k);
  std::sort(order.begin(), order.end());  // bank rows in feature order: reading it is sequential
  return order;
}

}  // namespace

NearestNeighbourBaseline::NearestNeighbourBaseline(const Tensor& train_features,
                                                   const NearestNeighbourOptions& options) {
  check_features(train_features, "train_features");
  UNIAD_CHECK(options.max_tokens >= 0, "nearest_neighbour: max_tokens must be >= 0, got ", options.max_tokens);
  Tensor tokens = tokens_of(train_features);  // [T, C]
  const int64_t T = tokens.size(0), C = tokens.size(1);
  UNIAD_CHECK(T > 0 && C > 0, "nearest_neighbour: train_features ", shape_str(train_features.shape()),
              " hold no tokens");
  if (options.max_tokens > 0 && options.max_tokens < T) {
    const std::vector<int64_t> keep = sample_indices(T, options.max_tokens, options.seed);
    tokens = ops::gather_rows(tokens, Tensor::from_indices(keep, {options.max_tokens}), "nearest_neighbour");
  }
  bank_ = tokens;  // [M, C]
  const int64_t M = bank_.size(0);
  bank_norms_ = Tensor::empty({M}, DType::Float32);  // [M]
  const float* b = bank_.data<float>();
  float* norms = bank_norms_.data<float>();
#pragma omp parallel for schedule(static)
  for (int64_t m = 0; m < M; ++m) {
    double s = 0;
    for (int64_t c = 0; c < C; ++c) s += double(b[m * C + c]) * b[m * C + c];
    norms[m] = float(s);
  }
}

Tensor NearestNeighbourBaseline::anomaly_map(const Tensor& features) const {
  check_features(features, "features");
  UNIAD_CHECK(features.size(1) == channels(), "nearest_neighbour: features ", shape_str(features.shape()),
              " have ", features.size(1), " channels but the bank ", shape_str(bank_.shape()), " has ", channels());
  const int64_t B = features.size(0), H = features.size(2), W = features.size(3);
  const int64_t M = bank_size(), C = channels();
  const Tensor tokens = tokens_of(features);  // [T, C]
  const int64_t T = tokens.size(0);
  Tensor out = Tensor::empty({B, 1, H, W}, DType::Float32);  // [B, 1, H, W], token order as `tokens`
  if (T == 0) return out;

  const int64_t rows = std::clamp<int64_t>(kBlockBytes / (M * int64_t(sizeof(float))), 1, T);
  Tensor dots = Tensor::empty({rows, M}, DType::Float32);  // [rows, M] a . b for one block
  const Tensor bank_t = bank_.transpose(0, 1);               // [C, M], a view: the GEMM reads it strided
  const float* x = tokens.data<float>();
  const float* bank = bank_.data<float>();
  const float* norms = bank_norms_.data<float>();
  float* o = out.data<float>();
  for (int64_t start = 0; start < T; start += rows) {
    const int64_t n = std::min(rows, T - start);
    Tensor block = dots.slice(0, 0, n);  // [n, M], contiguous
    ops::gemm_into(block, tokens.slice(0, start, start + n), bank_t, false);
    const float* d = block.data<float>();
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      // ||a - b||^2 = ||a||^2 - 2 a.b + ||b||^2; ||a||^2 is the same for every b, so it is left
      // out of the search.
      const float* di = d + i * M;
      float best = std::numeric_limits<float>::infinity();
      int64_t best_m = 0;
      for (int64_t m = 0; m < M; ++m) {
        const float v = norms[m] - 2.0f * di[m];
        if (v < best) {
          best = v;
          best_m = m;
        }
      }
      // The winner's distance is recomputed directly: the expansion cancels catastrophically
      // for near neighbours (a token in the bank would score ~1e-3, not 0), and small distances
      // are exactly the normal tokens whose scores matter. Never negative, so no clamp needed.
      const float* a = x + (start + i) * C;
      const float* b = bank + best_m * C;
      double s = 0;
      for (int64_t c = 0; c < C; ++c) {
        const double diff = double(a[c]) - double(b[c]);
        s += diff * diff;
      }
      o[start + i] = float(std::sqrt(s));
    }
  }
  return out;
}

}  // namespace uniad

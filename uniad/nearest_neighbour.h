#pragma once
// The non-learned baseline that `uniad eval` reports beside UniAD: each test token's anomaly
// score is its Euclidean distance to the nearest token of a memory bank built from the normal
// training features (all classes together: the unified setting, the class is never used).
// Pixel and image scores then follow the same path as UniAD's maps (uniad/scoring.h).
//
// The bank may be subsampled (a seeded random subset of max_tokens tokens) to bound time and
// memory; distances use ||a||^2 - 2 a.b + ||b||^2 with one GEMM per block of test tokens.
#include <cstdint>

#include "tensor/tensor.h"

namespace uniad {

struct NearestNeighbourOptions {
  int64_t max_tokens = 0;  // bank size limit; 0: keep every training token
  uint64_t seed = 0;       // for the subsample
};

class NearestNeighbourBaseline {
 public:
  // train_features [N, C, H, W] float32.
  NearestNeighbourBaseline(const Tensor& train_features, const NearestNeighbourOptions& options = {});

  // features [B, C, H, W] -> [B, 1, H, W]: distance of each token to its nearest bank token.
  Tensor anomaly_map(const Tensor& features) const;

  int64_t bank_size() const { return bank_.size(0); }
  int64_t channels() const { return bank_.size(1); }

 private:
  Tensor bank_;        // [M, C]
  Tensor bank_norms_;  // [M] squared norms
};

}  // namespace uniad

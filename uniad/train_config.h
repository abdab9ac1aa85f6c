#pragma once
// Training settings, with the paper's schedule as the default (../shared/spec/UNIAD.md).
#include <cstdint>
#include <string>

#include "tensor/device.h"

namespace uniad {

struct TrainConfig {
  uint64_t seed = 0;          // weights, shuffling, dropout, jitter and the validation split
  int64_t epochs = 1000;
  int64_t batch_size = 8;
  double lr = 1e-4;
  double beta1 = 0.9, beta2 = 0.999, adam_eps = 1e-8;
  double weight_decay = 1e-4;
  double clip_norm = 0.1;      // global L2 norm; 0 disables clipping
  std::string schedule = "step";  // step | cosine | constant
  int64_t step_epochs = 800;   // StepLR: multiply by gamma every step_epochs epochs
  double gamma = 0.1;
  int64_t warmup_epochs = 0;   // cosine: linear warm-up from lr / 100
  double min_lr = 0.0;         // cosine: final learning rate
  double val_fraction = 0.1;   // share of the normal training images held out for validation
  int64_t val_every = 1;       // validate every N epochs (0: never)
  double max_minutes = 0;      // stop after this much training time (0: no limit)
  int64_t threads = 0;         // OpenMP threads (0: all cores)
  // Where the model computes: "cpu", "cuda" or "cuda:N". Not part of what a run is: a run
  // trained on a GPU resumes, evaluates and predicts on the CPU and the other way round.
  std::string device = "cpu";
  // float32 matrix products on the GPU: "fp32", "tf32" or "bf16" (FP32 accumulation); the CPU
  // always computes in fp32.
  std::string matmul_precision = "fp32";
  // Diagnostics for learning curves only, never for model selection: every N epochs score the
  // test set and log its metrics (0: never). Checkpoints are chosen by validation loss alone.
  int64_t track_test_every = 0;
  // The identical-shortcut lab (uniad/shortcut_lab.h, docs/shortcut_lab.md): every N epochs log
  // the reconstruction error on normal, anomalous and out-of-distribution inputs (0: never).
  int64_t shortcut_every = 0;

  void validate() const;  // throws naming the field
  Device compute_device() const;        // `device` parsed
  void apply_matmul_precision() const;  // sets the process-wide GPU matmul precision
};

}  // namespace uniad

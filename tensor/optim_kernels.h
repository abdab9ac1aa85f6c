#pragma once
// Fused in-place kernels for optimiser updates and gradient clipping (used by nn/optim.cpp).
//
// Each update is one pass over a parameter that reads and writes every buffer once and makes
// no temporaries: the composed version (p.mul_(...), exp_avg.mul_(...).add_(...), ...) would
// walk 7.7M UniAD parameters about ten times per step. The arithmetic still follows PyTorch's
// single-tensor code (torch/optim/adamw.py, sgd.py, 1.13) operation for operation, in the
// tensor's dtype: hyperparameters are combined in double as Python does, and rounded to the
// element type where they meet a tensor, as PyTorch's kernels do with Python scalars; the .cpp
// explains which multiply-adds are fused and why.
//
// All tensors of one call share one floating dtype and the parameter's shape, and the ones
// written to must be contiguous (parameters and state buffers are created so).
#include <cstdint>

#include "tensor/tensor.h"

namespace uniad::ops {

struct AdamWUpdate {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
  int64_t step = 1;  // this parameter's update count, this update included (bias correction)
};

// Decoupled weight decay, then Adam (Loshchilov & Hutter; torch.optim.AdamW, amsgrad off):
//   p *= 1 - lr wd
//   m  = b1 m + (1 - b1) g
//   v  = b2 v + (1 - b2) g g
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
void adamw_update_(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq, const AdamWUpdate& u);

struct SgdUpdate {
  double lr = 1e-2;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
  bool first = true;  // the buffer holds no history yet: it starts as d, not b mu + (1 - damp) d
};

// torch.optim.SGD: d = g + wd p; b = mu b + (1 - dampening) d (b = d the first time);
// d = nesterov ? d + mu b : b; p -= lr d. `momentum_buffer` is ignored when momentum == 0.
void sgd_update_(Tensor& param, const Tensor& grad, Tensor& momentum_buffer, const SgdUpdate& u);

// Sum of x^2 over all elements, accumulated in double. The blocks are fixed (not one per
// thread), so the result is the same bits whatever the number of threads: resuming a run
// clips exactly as the uninterrupted run did.
double sum_of_squares(const Tensor& x);
// The same sum as a float64 scalar tensor [] on x's device. On a GPU it does not wait for the
// result, so a caller summing many tensors (gradient clipping) reads the total once instead of
// waiting once per tensor.
Tensor sum_of_squares_tensor(const Tensor& x);

// x *= factor (rounded to x's dtype first, as x.mul_(scalar) does). x must be contiguous.
void scale_(Tensor& x, double factor);

}  // namespace uniad::ops

#pragma once
// Basic layers. Parameter names and layouts follow PyTorch (Linear.weight is [out, in]) so that
// checkpoints and state dicts map one to one.
#include "autograd/functions.h"
#include "nn/module.h"

namespace uniad::nn {

// y = x W^T + b.  x [..., in] -> [..., out]
class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias, Generator& gen);
  ag::Variable forward(const ag::Variable& x) const { return ag::linear(x, weight, bias); }
  ag::Variable weight;  // [out, in]
  ag::Variable bias;    // [out], undefined without bias
};

// Normalises the last axis, then scales and shifts per feature.  x [..., D] -> [..., D]
class LayerNorm : public Module {
 public:
  explicit LayerNorm(int64_t dim, double eps = 1e-5);
  ag::Variable forward(const ag::Variable& x) const { return ag::layer_norm(x, weight, bias, eps_); }
  // Normalises x + residual (same shapes) in one fused pass: the post-norm residual step.
  ag::Variable forward(const ag::Variable& x, const ag::Variable& residual) const {
    return ag::add_layer_norm(x, residual, weight, bias, eps_);
  }
  ag::Variable weight;  // [D], ones
  ag::Variable bias;    // [D], zeros

 private:
  double eps_;
};

// Inverted dropout, active in training mode only. Draws from the given generator, which the
// caller owns and seeds (and a checkpoint stores), so runs are reproducible.
class Dropout : public Module {
 public:
  Dropout(double p, Generator& gen) : p_(p), gen_(&gen) {}
  ag::Variable forward(const ag::Variable& x) const { return ag::dropout(x, p_, is_training(), *gen_); }
  double p() const { return p_; }

 private:
  double p_;
  Generator* gen_;
};

// Rows of a [V, D] table.  indices (int64, any shape) -> [..., D]
class Embedding : public Module {
 public:
  Embedding(int64_t num_embeddings, int64_t dim, Generator& gen);  // N(0, 1) like PyTorch
  ag::Variable forward(const Tensor& indices) const { return ag::embedding(indices, weight); }
  ag::Variable weight;  // [V, D]
};

// 2-D convolution, NCHW.  x [N, C, H, W] -> [N, O, Ho, Wo]
class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, const ag::Conv2dOptions& opt, bool bias,
         Generator& gen);
  ag::Variable forward(const ag::Variable& x) const { return ag::conv2d(x, weight, bias, opt_); }
  ag::Variable weight;  // [O, C / groups, k, k]
  ag::Variable bias;    // [O], undefined without bias

 private:
  ag::Conv2dOptions opt_;
};

class ReLU : public Module {
 public:
  ag::Variable forward(const ag::Variable& x) const { return ag::relu(x); }
};

class GELU : public Module {
 public:
  ag::Variable forward(const ag::Variable& x) const { return ag::gelu(x); }
};

}  // namespace uniad::nn

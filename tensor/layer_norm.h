#pragma once
// Layer norm over the last axis, with an optional residual added first, forward and backward.
//
// The spec is the composed form in autograd (ag::layer_norm_reference: sub, mean, mul, mean,
// add_scalar, rsqrt, mul, mul, add, each with its own backward). A profile of the UniAD
// training step showed those nine passes over every [L, B, D] activation as expensive, so
// ag::layer_norm and ag::add_layer_norm wrap these two kernels instead, and the tests compare
// them with the composed form. Rows are spread over OpenMP threads; each row is done in a few
// vectorised passes over D contiguous values, with the row sums accumulated in double.
#include "tensor/tensor.h"

namespace uniad::ops {

struct LayerNormForward {
  Tensor y;      // [..., D] = (z - mean) * rstd * weight + bias
  Tensor input;  // [..., D] contiguous z = x (+ residual): what the backward reads
  Tensor mean;   // [..., 1]
  Tensor rstd;   // [..., 1] = 1 / sqrt(var + eps), var the biased variance (divide by D), as PyTorch
};

// z = x + residual (residual optional: pass an undefined Tensor), normalised over its last
// axis and scaled per feature. x and residual have the same shape and dtype and may be any
// strided views; weight and bias [D] are optional (missing ones act as ones and zeros).
// The variance is the mean of squared centred values (two passes), so large offsets keep
// their precision. Without a residual, `input` is x itself when x is contiguous.
LayerNormForward layer_norm_forward(const Tensor& x, const Tensor& residual, const Tensor& weight,
                                    const Tensor& bias, double eps);

struct LayerNormGrads {
  Tensor input;   // [..., D] dz (the same for x and residual); undefined unless asked for
  Tensor weight;  // [D]; undefined unless asked for
  Tensor bias;    // [D]; undefined unless asked for
};

// Gradients of layer_norm_forward from g = dL/dy, the forward's input, mean and rstd, and the
// weight (optional). With xhat = (z - mean) * rstd and gw = g * weight, per row:
//   dz = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)),
//   dweight = sum over rows of g * xhat,   dbias = sum over rows of g.
// The row sums for dweight and dbias are kept per thread and added in thread order, so they
// are the same from run to run at a given thread count.
LayerNormGrads layer_norm_backward(const Tensor& grad, const Tensor& input, const Tensor& mean, const Tensor& rstd,
                                   const Tensor& weight, bool need_input, bool need_weight, bool need_bias);

}  // namespace uniad::ops

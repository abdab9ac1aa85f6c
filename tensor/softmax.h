#pragma once
// Softmax over the last axis with an optional additive mask, forward and backward.
//
// This is one of the few fused primitives: attention logits [B*H, L, L] get the shared
// neighbour mask [L, L] added and are normalised in one pass, without materialising x + mask.
// Autograd wraps these kernels in ag::softmax (autograd/ops_nn.cpp).
#include "tensor/tensor.h"

namespace uniad::ops {

// y = softmax(x + mask) along the last axis, computed as exp(z - max z) / sum exp(z - max z)
// so large logits cannot overflow. x [..., N] any strided view; mask (optional: pass an
// undefined Tensor for none) broadcasts to x's shape and has x's dtype; -inf entries exclude a
// position. A row whose entries are all -inf gives zeros (PyTorch gives NaN there).
// Returns a fresh contiguous tensor of x's shape.
Tensor softmax_forward(const Tensor& x, const Tensor& mask = Tensor());

// Gradient of the logits: dx = y * (g - sum(g * y)), the sum running along the last axis.
// y is softmax_forward's output; grad has y's shape. Fully masked rows (y = 0) get dx = 0.
// The gradient w.r.t. an additive mask is the same dx (summed down to the mask's shape).
Tensor softmax_backward(const Tensor& grad, const Tensor& y);

}  // namespace uniad::ops

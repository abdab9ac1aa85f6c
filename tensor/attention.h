#pragma once
// Fused masked scaled-dot-product attention, forward and backward kernels.
//
// N = B*H independent products (one per batch item and head), L queries, S keys, hd features:
//   q [N, L, hd] (already scaled by 1/sqrt(hd)), k [N, S, hd], v [N, S, hd], mask [L, S]
//   P  = softmax(q k^T + mask)            [N, L, S]  row softmax, the attention weights
//   Pd = dropout(P)                       [N, L, S]  kept where counter_uniform(key, i) >= p
//   context = Pd v                        [N, L, hd]
// Each product runs on one OpenMP thread with an [L, S] buffer of its own (150 KB at the paper
// size, so it stays in L2): only P is stored, plus one bit per element for the dropout mask. The
// composed path (matmul, ag::softmax, ag::dropout, matmul) materialises scores, P, the mask and
// Pd; it stays the reference (ag::scaled_dot_attention_reference) these kernels are tested against.
// Products never share an output element, so results do not depend on the thread count.
#include <cstdint>

#include "tensor/tensor.h"

namespace uniad::ops {

// Inverted dropout on the weights: element i of [N, L, S] (row-major) is kept when
// counter_uniform(key, i) >= p and then scaled by 1 / (1 - p). p == 0 means no dropout.
struct AttentionDropout {
  double p = 0;
  uint64_t key = 0;
  bool active() const { return p > 0; }
};

struct AttentionSaved {
  Tensor context;  // [N, L, hd], a transposed view of a contiguous [L, N, hd] (heads merge for free)
  Tensor probs;    // [N, L, S] softmax output P, before dropout (the weights inspection tools read)
  Tensor keep;     // int64 [N, W] dropout keep bits, W words per product; undefined without dropout
                   // and on a GPU (whose backward redraws the mask from the key)
};

// q, k, v: float32 or float64 strided views of one dtype (MultiheadAttention's head split views
// are read in place). mask: [L, S] of q's dtype, or undefined for none; -inf excludes a key, a
// row excluded entirely gets zero weights. keep_probs = false (inference without weights) leaves
// probs and keep undefined and stores nothing [N, L, S] at all.
AttentionSaved attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                                 const AttentionDropout& dropout, bool keep_probs = true);

struct AttentionGrads {
  Tensor dq, dk, dv;  // q's, k's, v's shapes; undefined where not asked for
};

// Gradients from the context's gradient g [N, L, hd]:
//   dv = Pd^T g,  dPd = g v^T,  dP = dropout'(dPd),  dS = P (dP - rowsum(dP P)),
//   dq = dS k,    dk = dS^T q.
// The mask is a constant here (its gradient would be dS summed over N).
AttentionGrads attention_backward(const Tensor& g, const Tensor& q, const Tensor& k, const Tensor& v,
                                  const AttentionSaved& saved, const AttentionDropout& dropout, bool need_q,
                                  bool need_k, bool need_v);

// The buffers attention_backward returns: [N, T, h] views of contiguous [T, N, h] tensors on
// `device`, only where asked for, zero when the products are empty (L or S == 0).
AttentionGrads attention_grad_buffers(int64_t N, int64_t L, int64_t S, int64_t hd, int64_t hv, DType dtype,
                                      Device device, bool need_q, bool need_k, bool need_v);
// The dropout mask attention_forward applies, as a tensor [N, L, S] of 0 and 1 / (1 - p): the
// composed reference multiplies by it to draw the identical mask. Made on `device`.
Tensor attention_dropout_scale(const Shape& shape, DType dtype, const AttentionDropout& dropout,
                               Device device = Device::cpu());

}  // namespace uniad::ops

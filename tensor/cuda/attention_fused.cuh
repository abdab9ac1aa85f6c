#pragma once
// The fused attention forward for inference (tensor/cuda/attention_fused.cu): softmax(q k^T +
// mask) v in one kernel, scores kept in shared memory, nothing [N, L, S] written to memory.
// tensor/cuda/attention.cu picks it when the caller wants neither weights nor a backward pass
// (keep_probs = false) and there is no dropout; the composed GEMM path is its reference.
#include "tensor/cuda/common.cuh"

namespace uniad::cuda {

// True when a warp's scores row and query row fit the kernel's shared memory: S <= 1024 keys and
// 8 * (S + hd) elements within 48 KB (the paper's S = 196, hd = 32 or 64 in float32 or float64).
bool fused_attention_applies(const Tensor& q, const Tensor& k, const Tensor& v);

// context [N, L, hv] (a view of a contiguous [L, N, hv]) = softmax(q k^T + mask) v for q [N, L,
// hd], k [N, S, hd], v [N, S, hv] any strides, mask [L, S] contiguous or undefined. N, L, S > 0.
void fused_attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                             Tensor& context);

}  // namespace uniad::cuda

#pragma once
// Matrix products: packed AVX-512 / AVX2 kernels for float32 (tensor/gemm_avx512.h), Eigen otherwise.
//
//   a: [..., M, K], b: [..., K, N] -> [..., M, N]
// Leading (batch) axes broadcast, so [B, M, K] x [K, N] applies one weight to every batch item.
// Transposes are free: pass a.transpose(-1, -2) and the kernel reads the column-major layout
// directly instead of copying. Only the last two axes of an operand need unit stride on one side.
#include "tensor/tensor.h"

namespace uniad::ops {

Tensor matmul(const Tensor& a, const Tensor& b);

// Which GEMM runs float32 products: Auto picks the packed AVX-512 kernel (tensor/gemm_avx512.h)
// when the CPU has it, else the AVX2/FMA one (tensor/gemm_avx2.h), else Eigen. Avx2 skips
// AVX-512 (falls back to Eigen without AVX2); Eigen forces Eigen, the reference. Tests and the
// benchmark use these to run every path on one machine. float64 always uses Eigen.
enum class GemmBackend { Auto, Avx2, Eigen };
void set_gemm_backend(GemmBackend backend);
GemmBackend gemm_backend();

// out (+)= a x b for 2-D operands, writing into an existing contiguous [M, N] tensor.
// accumulate=true adds to out; used by convolution and fused paths that own their buffers.
void gemm_into(Tensor& out, const Tensor& a, const Tensor& b, bool accumulate);

}  // namespace uniad::ops

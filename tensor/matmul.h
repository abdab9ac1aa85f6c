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

// The arithmetic of float32 products on the GPU (cuBLAS): Float32 is exact FP32; TF32 rounds
// the inputs to 10-bit mantissas on the tensor cores; BF16 rounds them to bfloat16. All three
// accumulate in FP32 and keep FP32 tensors. The CPU always computes in FP32 and ignores this.
enum class MatmulPrecision { Float32, TF32, BF16 };
void set_matmul_precision(MatmulPrecision precision);
MatmulPrecision matmul_precision();
const char* matmul_precision_name(MatmulPrecision precision);  // "fp32", "tf32", "bf16"
MatmulPrecision parse_matmul_precision(const std::string& text);  // the names above
// out (+)= a x b for 2-D operands, writing into an existing contiguous [M, N] tensor.
// accumulate=true adds to out; used by convolution and fused paths that own their buffers.
void gemm_into(Tensor& out, const Tensor& a, const Tensor& b, bool accumulate);

// C[M, N] (row-major, leading dimension ldc) (+)= A[M, K] x B[K, N] on raw host pointers (GPU code
// uses gemm_into), for fused CPU kernels that own their buffers. A and B are read through (row, column)
// element strides, one of which must be 1 for each. Single-threaded inside an OpenMP parallel region.
void gemm_raw(int64_t M, int64_t N, int64_t K, const float* a, int64_t a_rs, int64_t a_cs, const float* b,
              int64_t b_rs, int64_t b_cs, float* c, int64_t ldc, bool accumulate);
void gemm_raw(int64_t M, int64_t N, int64_t K, const double* a, int64_t a_rs, int64_t a_cs, const double* b,
              int64_t b_rs, int64_t b_cs, double* c, int64_t ldc, bool accumulate);

}  // namespace uniad::ops

#pragma once
// The packed float32 GEMM of tensor/gemm_avx2.h with an AVX-512 register tile: 14 rows x 32
// columns (28 zmm accumulators), B packed into 32-column panels, edge tiles stored through
// masks. The blocked driver is shared with the AVX2 kernel (tensor/gemm_packed.h); ops::matmul
// prefers this path when the CPU has AVX-512F.
#include <cstdint>

namespace uniad::ops::detail {

// True when the CPU running this process has AVX-512F.
bool sgemm_avx512_available();

// Same contract as sgemm_avx2: C[M, N] (ldc) = or += A x B, strided A and B read in place.
void sgemm_avx512(int64_t M, int64_t N, int64_t K, const float* A, int64_t a_rs, int64_t a_cs, const float* B,
                  int64_t b_rs, int64_t b_cs, float* C, int64_t ldc, bool accumulate);

}  // namespace uniad::ops::detail

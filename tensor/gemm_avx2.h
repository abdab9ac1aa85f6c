#pragma once
// A packed, cache-blocked single-precision GEMM for x86-64 CPUs with AVX2 and FMA, in the
// style of BLIS/GotoBLAS: B is packed into 16-column panels, A into 6-row panels, and a 6x16
// register-tile micro-kernel does the arithmetic (the blocked driver is tensor/gemm_packed.h).
// It is the fast path behind ops::matmul for float32 on CPUs without AVX-512
// (tensor/gemm_avx512.h); Eigen's GEMM remains the reference it is tested against (and serves
// float64 and CPUs without AVX2).
#include <cstdint>

namespace uniad::ops::detail {

// True when the CPU running this process has AVX2 and FMA.
bool sgemm_avx2_available();

// C[M, N] (row-major, leading dimension ldc) = A x B, or += when accumulate.
// A[M, K] and B[K, N] are read through element strides (row stride, column stride), so
// transposed operands need no copy. Threads: OpenMP, unless already inside a parallel region.
void sgemm_avx2(int64_t M, int64_t N, int64_t K, const float* A, int64_t a_rs, int64_t a_cs, const float* B,
                int64_t b_rs, int64_t b_cs, float* C, int64_t ldc, bool accumulate);

}  // namespace uniad::ops::detail

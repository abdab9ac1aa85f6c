#include "tensor/gemm_avx512.h"

#include <immintrin.h>
#include <cstdlib>

#include "tensor/gemm_packed.h"

namespace uniad::ops::detail {

namespace {

// The MR x 32 micro-kernel: tile (=|+=) sum_k a[k][0..MR) (x) b[k][0..32). 2*MR accumulators,
// two B vectors and the broadcast A value live in AVX-512's 32 zmm registers (MR = 14 uses 31).
// The fixed-size accumulator array is fully unrolled, so GCC keeps it in registers. Partial
// tiles (rows < MR, cols < 32) run the same loop on the zero-padded panels and store only
// their valid part, through column masks.
template <int MR>
__attribute__((target("avx512f"))) void tile_avx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                                                     int64_t rows, int64_t cols, bool add_to_c) {
  __m512 acc[MR][2];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m512 av = _mm512_set1_ps(a[r]);
      acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
    }
    a += MR;
    b += 32;
  }
  const __mmask16 lo = cols >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << cols) - 1);
  const __mmask16 hi = cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : static_cast<__mmask16>((1u << (cols - 16)) - 1);
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    if (r >= rows) break;
    float* row = c + r * ldc;
    __m512 v0 = acc[r][0], v1 = acc[r][1];
    if (add_to_c) {
      v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(lo, row));
      v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(hi, row + 16));
    }
    _mm512_mask_storeu_ps(row, lo, v0);
    _mm512_mask_storeu_ps(row + 16, hi, v1);
  }
}

// The tile and blocking for the shared driver (tensor/gemm_packed.h), measured on Zen 5
// (48 KiB L1d, 1 MiB L2 per core): the B panel (256 x 32 floats = 32 KiB) stays in L1 while
// the A panels of a row block (mc x 256) stream from L2.
template <int MR_, int KC_, int MC_>
struct Avx512KernelT {
  static constexpr int64_t kMR = MR_, kNR = 32, kKC = KC_, kMC = MC_, kNC = 4096;
  static void tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t rows, int64_t cols,
                   bool add_to_c) {
    tile_avx512<kMR>(kc, a, b, c, ldc, rows, cols, add_to_c);
  }
};
using Avx512Kernel = Avx512KernelT<14, 256, 392>;

}  // namespace

bool sgemm_avx512_available() {
  static const bool ok = __builtin_cpu_supports("avx512f");
  return ok;
}

void sgemm_avx512(int64_t M, int64_t N, int64_t K, const float* A, int64_t a_rs, int64_t a_cs, const float* B,
                  int64_t b_rs, int64_t b_cs, float* C, int64_t ldc, bool accumulate) {
  const int variant = getenv("V512") ? atoi(getenv("V512")) : 0;
#define V(i, mr, kc, mc) if (variant == i) return packed::sgemm<Avx512KernelT<mr, kc, mc>>(M, N, K, A, a_rs, a_cs, B, b_rs, b_cs, C, ldc, accumulate);
  V(1, 12, 256, 384) V(2, 8, 256, 384) V(3, 14, 192, 392) V(4, 14, 384, 392) V(5, 14, 256, 196) V(6, 14, 256, 784)
  V(7, 14, 128, 392) V(8, 12, 192, 384)
  packed::sgemm<Avx512Kernel>(M, N, K, A, a_rs, a_cs, B, b_rs, b_cs, C, ldc, accumulate);
}

}  // namespace uniad::ops::detail

#include "tensor/gemm_avx2.h"

#include <immintrin.h>

#include "tensor/gemm_packed.h"

namespace uniad::ops::detail {

namespace {

constexpr int64_t kMR = 6;   // rows of the register tile
constexpr int64_t kNR = 16;  // columns of the register tile (two 8-float vectors)

// The 6x16 micro-kernel: tile (=|+=) sum_k a[k][0..6) (x) b[k][0..16). 12 accumulators,
// two B vectors and one broadcast A value: 15 of AVX2's 16 vector registers. The
// accumulators are named variables, not an array, so that GCC keeps them in registers.
__attribute__((target("avx2,fma"))) void kernel_6x16(int64_t kc, const float* a, const float* b, float* c,
                                                     int64_t ldc, bool add_to_c) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
    __m256 av = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(av, b0, c00);
    c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(av, b0, c10);
    c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(av, b0, c20);
    c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(av, b0, c30);
    c31 = _mm256_fmadd_ps(av, b1, c31);
    av = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(av, b0, c40);
    c41 = _mm256_fmadd_ps(av, b1, c41);
    av = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(av, b0, c50);
    c51 = _mm256_fmadd_ps(av, b1, c51);
    a += kMR;
    b += kNR;
  }
  const __m256 rows[kMR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int r = 0; r < kMR; ++r) {
    float* row = c + r * ldc;
    __m256 lo = rows[r][0], hi = rows[r][1];
    if (add_to_c) {
      lo = _mm256_add_ps(lo, _mm256_loadu_ps(row));
      hi = _mm256_add_ps(hi, _mm256_loadu_ps(row + 8));
    }
    _mm256_storeu_ps(row, lo);
    _mm256_storeu_ps(row + 8, hi);
  }
}

// A partial tile (fewer than 6 rows or 16 columns): compute the full tile into a scratch
// buffer (the packed panels are zero-padded) and copy the valid part.
void edge_tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t rows, int64_t cols,
               bool add_to_c) {
  alignas(32) float tile[kMR * kNR];
  kernel_6x16(kc, a, b, tile, kNR, false);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cols; ++j) c[r * ldc + j] = (add_to_c ? c[r * ldc + j] : 0.f) + tile[r * kNR + j];
}

// The tile and blocking for the shared driver (tensor/gemm_packed.h): the A panel (6 x 256)
// stays in L1, a block of A (144 x 256 floats = 144 KiB) in L2, the packed B block in L3.
struct Avx2Kernel {
  static constexpr int64_t kMR = detail::kMR, kNR = detail::kNR, kKC = 256, kMC = 144, kNC = 4080;
  static constexpr int64_t kInPlaceAPanels = 0;  // always packs A
  static void pack_a(int64_t mc, int64_t kc, const float* A, int64_t rs, int64_t cs, float* dst) {
    packed::pack_a<kMR>(mc, kc, A, rs, cs, dst);
  }
  static void pack_b(int64_t kc, int64_t cols, const float* B, int64_t rs, int64_t cs, float* dst) {
    packed::pack_b_panel<kNR>(kc, cols, B, rs, cs, dst);
  }
  static void tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t rows, int64_t cols,
                   bool add_to_c) {
    if (rows == kMR && cols == kNR) kernel_6x16(kc, a, b, c, ldc, add_to_c);
    else edge_tile(kc, a, b, c, ldc, rows, cols, add_to_c);
  }
};

}  // namespace

bool sgemm_avx2_available() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
}

void sgemm_avx2(int64_t M, int64_t N, int64_t K, const float* A, int64_t a_rs, int64_t a_cs, const float* B,
                int64_t b_rs, int64_t b_cs, float* C, int64_t ldc, bool accumulate) {
  packed::sgemm<Avx2Kernel>(M, N, K, A, a_rs, a_cs, B, b_rs, b_cs, C, ldc, accumulate);
}

}  // namespace uniad::ops::detail

#include "tensor/gemm_avx2.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace uniad::ops::detail {

namespace {

constexpr int64_t kMR = 6;     // rows of the register tile
constexpr int64_t kNR = 16;    // columns of the register tile (two 8-float vectors)
constexpr int64_t kKC = 256;   // depth of one packed block: A panel (6 x 256) stays in L1
constexpr int64_t kMCMax = 144;  // rows of A per block: 144 x 256 floats = 144 KiB, fits L2
constexpr int64_t kNC = 4080;  // columns of B per block (B block lives in L3)

int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// Packs rows [0, mc) x depth [0, kc) of A into 6-row panels: panel p holds, for each k, the
// 6 values A[p*6 + r, k] side by side. Rows past mc are zero.
void pack_a(int64_t mc, int64_t kc, const float* A, int64_t rs, int64_t cs, float* dst) {
  for (int64_t i0 = 0; i0 < mc; i0 += kMR) {
    const int64_t rows = std::min(kMR, mc - i0);
    for (int64_t k = 0; k < kc; ++k) {
      for (int64_t r = 0; r < rows; ++r) dst[r] = A[(i0 + r) * rs + k * cs];
      for (int64_t r = rows; r < kMR; ++r) dst[r] = 0.f;
      dst += kMR;
    }
  }
}

// Packs depth [0, kc) x columns [j0, j1) of B into 16-column panels (panel-major, k inner).
void pack_b_panel(int64_t kc, int64_t cols, const float* B, int64_t rs, int64_t cs, float* dst) {
  for (int64_t k = 0; k < kc; ++k) {
    const float* src = B + k * rs;
    if (cs == 1 && cols == kNR) {
      std::memcpy(dst, src, kNR * sizeof(float));
    } else {
      for (int64_t c = 0; c < cols; ++c) dst[c] = src[c * cs];
      for (int64_t c = cols; c < kNR; ++c) dst[c] = 0.f;
    }
    dst += kNR;
  }
}

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

// Per-thread packing buffers, reused across calls (no allocation on the hot path).
float* a_buffer() {
  thread_local std::vector<float> buf(kMCMax * kKC);
  return buf.data();
}
float* b_buffer(size_t floats) {
  thread_local std::vector<float> buf;
  if (buf.size() < floats) buf.resize(floats);
  return buf.data();
}

}  // namespace

bool sgemm_avx2_available() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
}

void sgemm_avx2(int64_t M, int64_t N, int64_t K, const float* A, int64_t a_rs, int64_t a_cs, const float* B,
                int64_t b_rs, int64_t b_cs, float* C, int64_t ldc, bool accumulate) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!accumulate)
      for (int64_t i = 0; i < M; ++i) std::fill(C + i * ldc, C + i * ldc + N, 0.f);
    return;
  }
  const bool nested = omp_in_parallel();
  const int threads = nested ? 1 : omp_get_max_threads();
  // Row blocks: a multiple of the thread count so that threads get equal shares.
  const int64_t per_thread_blocks = (M + threads * kMCMax - 1) / (threads * kMCMax);
  const int64_t mc_step = std::min(kMCMax, round_up((M + threads * per_thread_blocks - 1) / (threads * per_thread_blocks), kMR));
  const int64_t nc_max = std::min(kNC, round_up(N, kNR));
  float* bp = b_buffer(static_cast<size_t>(kKC * nc_max));  // the calling thread's; shared by the team

  // One thread team for the whole product; every thread walks the same block loops and the
  // work-sharing loops inside split packing and row blocks between them.
#pragma omp parallel num_threads(threads)
  for (int64_t jc = 0; jc < N; jc += kNC) {
    const int64_t nc = std::min(kNC, N - jc);
    const int64_t panels = (nc + kNR - 1) / kNR;
    for (int64_t pc = 0; pc < K; pc += kKC) {
      const int64_t kc = std::min(kKC, K - pc);
      const bool add = accumulate || pc > 0;  // later depth blocks add to the earlier ones
      const float* b_src = B + pc * b_rs + jc * b_cs;
#pragma omp for schedule(static)
      for (int64_t p = 0; p < panels; ++p)
        pack_b_panel(kc, std::min(kNR, nc - p * kNR), b_src + p * kNR * b_cs, b_rs, b_cs, bp + p * kNR * kc);
      // implicit barrier: B is packed before anyone multiplies
#pragma omp for schedule(static)
      for (int64_t ic = 0; ic < M; ic += mc_step) {
        const int64_t mc = std::min(mc_step, M - ic);
        float* ap = a_buffer();
        pack_a(mc, kc, A + ic * a_rs + pc * a_cs, a_rs, a_cs, ap);
        for (int64_t p = 0; p < panels; ++p) {
          const int64_t cols = std::min(kNR, nc - p * kNR);
          for (int64_t ir = 0; ir < mc; ir += kMR) {
            const int64_t rows = std::min(kMR, mc - ir);
            float* c = C + (ic + ir) * ldc + jc + p * kNR;
            const float* a = ap + ir * kc;
            const float* b = bp + p * kNR * kc;
            if (rows == kMR && cols == kNR) kernel_6x16(kc, a, b, c, ldc, add);
            else edge_tile(kc, a, b, c, ldc, rows, cols, add);
          }
        }
      }
      // implicit barrier: nobody repacks B while others still read it
    }
  }
}

}  // namespace uniad::ops::detail

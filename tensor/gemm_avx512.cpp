#include "tensor/gemm_avx512.h"

// GCC 12 warns inside its own _mm512_unpack{lo,hi}_ps when they are built with target()
// rather than -mavx512f (the header's _mm512_undefined_ps pass-through); the code is fine.
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>

#include "tensor/gemm_packed.h"

namespace uniad::ops::detail {

namespace {

// The MR x 32 micro-kernel: tile (=|+=) sum_k a[k][0..MR) (x) b[k][0..32). 2*MR accumulators,
// two B vectors and the broadcast A value live in AVX-512's 32 zmm registers (MR = 14 uses 31).
// The fixed-size accumulator array is fully unrolled, so GCC keeps it in registers.
//   NV: 16-float vectors per tile row: 2, or 1 for a last panel with <= 16 valid columns
//       (half the arithmetic).
//   kPacked: a is a packed panel (element (r, k) at a[k*MR + r]); otherwise A is read in place
//       through its element strides, MR valid rows.
// Partial tiles (rows < MR, cols < 32) run the same loop on zero-padded panels and store only
// their valid part, through column masks.
template <int MR, int NV, bool kPacked>
__attribute__((target("avx512f"))) void tile_avx512(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs,
                                                     const float* b, float* c, int64_t ldc, int64_t rows, int64_t cols,
                                                     bool add_to_c) {
  if constexpr (kPacked) a_rs = 1, a_cs = MR;  // constants: the broadcasts use fixed offsets
  __m512 acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    __m512 bv[NV];
    for (int v = 0; v < NV; ++v) bv[v] = _mm512_load_ps(b + 16 * v);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m512 av = _mm512_set1_ps(a[r * a_rs]);
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
    }
    a += a_cs;
    b += 32;
  }
  __mmask16 mask[NV];
  for (int v = 0; v < NV; ++v) {
    const int64_t n = std::clamp<int64_t>(cols - 16 * v, 0, 16);
    mask[v] = static_cast<__mmask16>((1u << n) - 1);
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    if (r >= rows) break;
    float* row = c + r * ldc;
    for (int v = 0; v < NV; ++v) {
      __m512 x = acc[r][v];
      if (add_to_c) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mask[v], row + 16 * v));
      _mm512_mask_storeu_ps(row + 16 * v, mask[v], x);
    }
  }
}

// dst[k * ld_dst + c] = src[c * ld_src + k] for c < n (<= 16; missing columns read as zero)
// and k < 16: four rounds of 16 shuffles (interleave pairs, then quads, then 128-bit lanes
// twice) instead of 16 n scalar copies. Stores write n floats per k (masked).
__attribute__((target("avx512f"))) void transpose_16(const float* src, int64_t ld_src, int n, float* dst,
                                                      int64_t ld_dst) {
  __m512 r[16], t[16];
  for (int i = 0; i < 16; ++i) r[i] = i < n ? _mm512_loadu_ps(src + i * ld_src) : _mm512_setzero_ps();
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int j = 0; j < 4; ++j) {
    t[j] = _mm512_shuffle_f32x4(r[j], r[j + 4], 0x88);
    t[j + 4] = _mm512_shuffle_f32x4(r[j], r[j + 4], 0xDD);
    t[j + 8] = _mm512_shuffle_f32x4(r[j + 8], r[j + 12], 0x88);
    t[j + 12] = _mm512_shuffle_f32x4(r[j + 8], r[j + 12], 0xDD);
  }
  const auto mask = static_cast<__mmask16>((1u << n) - 1);
  for (int j = 0; j < 4; ++j) {
    _mm512_mask_storeu_ps(dst + j * ld_dst, mask, _mm512_shuffle_f32x4(t[j], t[j + 8], 0x88));
    _mm512_mask_storeu_ps(dst + (j + 8) * ld_dst, mask, _mm512_shuffle_f32x4(t[j], t[j + 8], 0xDD));
    _mm512_mask_storeu_ps(dst + (j + 4) * ld_dst, mask, _mm512_shuffle_f32x4(t[j + 4], t[j + 12], 0x88));
    _mm512_mask_storeu_ps(dst + (j + 12) * ld_dst, mask, _mm512_shuffle_f32x4(t[j + 4], t[j + 12], 0xDD));
  }
}

// Packs A into 14-row panels. Row-major A (cs == 1) has each row contiguous in k, so full
// panels go through 14 x 16 register transposes; the rest (depth past the last block of 16,
// a partial last panel, transposed A, whose packing is already a contiguous copy) as
// packed::pack_a does.
template <int64_t MR>
void pack_a_avx512(int64_t mc, int64_t kc, const float* A, int64_t rs, int64_t cs, float* dst) {
  static_assert(MR <= 16);
  const int64_t full_rows = cs == 1 ? mc / MR * MR : 0, block_depth = kc / 16 * 16;
  for (int64_t i0 = 0; i0 < full_rows; i0 += MR, dst += MR * kc) {
    for (int64_t k0 = 0; k0 < block_depth; k0 += 16) transpose_16(A + i0 * rs + k0, rs, MR, dst + k0 * MR, MR);
    for (int64_t k = block_depth; k < kc; ++k)
      for (int64_t r = 0; r < MR; ++r) dst[k * MR + r] = A[(i0 + r) * rs + k];
  }
  packed::pack_a<MR>(mc - full_rows, kc, A + full_rows * rs, rs, cs, dst);
}

// Packs one 32-column B panel. A transposed B (rs == 1: a weight read as W^T, or K^T in
// attention) has each column contiguous in k, so whole 16 x 16 blocks are transposed in
// registers; the rest (depth past the last block, a partial group of columns) goes one value at
// a time.
void pack_b_panel_avx512(int64_t kc, int64_t cols, const float* B, int64_t rs, int64_t cs, float* dst) {
  constexpr int64_t NR = 32;
  if (rs != 1 || cs == 1 || cols < 16) return packed::pack_b_panel<NR>(kc, cols, B, rs, cs, dst);
  const int64_t block_cols = cols / 16 * 16, block_depth = kc / 16 * 16;
  for (int64_t k0 = 0; k0 < block_depth; k0 += 16)
    for (int64_t c0 = 0; c0 < block_cols; c0 += 16) transpose_16(B + c0 * cs + k0, cs, 16, dst + k0 * NR + c0, NR);
  for (int64_t k = 0; k < kc; ++k)
    for (int64_t c = k < block_depth ? block_cols : 0; c < NR; ++c) dst[k * NR + c] = c < cols ? B[k + c * cs] : 0.f;
}

// The tile and blocking for the shared driver (tensor/gemm_packed.h), measured on Zen 5
// (48 KiB L1d, 1 MiB L2 per core): the B panel (256 x 32 floats = 32 KiB) stays in L1 while
// the A panels of a row block (392 x 256 floats = 392 KiB) stream from L2. Depths 192 and 384
// and row blocks 196 and 784 measured the same within noise. Reading A in place beats packing
// it up to 8 B panels (N <= 256: the attention products and the N = 256 projections, +5-80%);
// past that, packing wins on long rows whose stride aliases in L1 (A[1568, 4096]: -25%).
struct Avx512Kernel {
  static constexpr int64_t kMR = 14, kNR = 32, kKC = 256, kMC = 392, kNC = 4096;
  static constexpr int64_t kInPlaceAPanels = 8;
  static void pack_a(int64_t mc, int64_t kc, const float* A, int64_t rs, int64_t cs, float* dst) {
    pack_a_avx512<kMR>(mc, kc, A, rs, cs, dst);
  }
  static void pack_b(int64_t kc, int64_t cols, const float* B, int64_t rs, int64_t cs, float* dst) {
    pack_b_panel_avx512(kc, cols, B, rs, cs, dst);
  }
  static void tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t rows, int64_t cols,
                   bool add_to_c) {
    if (cols <= 16) tile_avx512<kMR, 1, true>(kc, a, 0, 0, b, c, ldc, rows, cols, add_to_c);
    else tile_avx512<kMR, 2, true>(kc, a, 0, 0, b, c, ldc, rows, cols, add_to_c);
  }
  static void tile_in_place(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs, const float* b, float* c,
                            int64_t ldc, int64_t cols, bool add_to_c) {
    if (cols <= 16) tile_avx512<kMR, 1, false>(kc, a, a_rs, a_cs, b, c, ldc, kMR, cols, add_to_c);
    else tile_avx512<kMR, 2, false>(kc, a, a_rs, a_cs, b, c, ldc, kMR, cols, add_to_c);
  }
};

}  // namespace

bool sgemm_avx512_available() {
  static const bool ok = __builtin_cpu_supports("avx512f");
  return ok;
}

void sgemm_avx512(int64_t M, int64_t N, int64_t K, const float* A, int64_t a_rs, int64_t a_cs, const float* B,
                  int64_t b_rs, int64_t b_cs, float* C, int64_t ldc, bool accumulate) {
  packed::sgemm<Avx512Kernel>(M, N, K, A, a_rs, a_cs, B, b_rs, b_cs, C, ldc, accumulate);
}

}  // namespace uniad::ops::detail

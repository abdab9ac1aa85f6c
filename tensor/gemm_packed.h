#pragma once
// The cache-blocked driver shared by the packed float32 GEMM kernels (gemm_avx2.cpp,
// gemm_avx512.cpp), in the style of BLIS/GotoBLAS: B is packed into kNR-column panels, A into
// kMR-row panels, and a kMR x kNR register-tile micro-kernel does the arithmetic. The driver is
// a template over the kernel, so that each instruction set brings only its tile and its block
// sizes.
//
// A Kernel supplies:
//   static constexpr int64_t kMR, kNR;       rows and columns of the register tile
//   static constexpr int64_t kKC, kMC, kNC;  depth, most rows and columns of one cache block
//   static void tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
//                    int64_t rows, int64_t cols, bool add_to_c);
//     c[rows, cols] (=|+=) a x b for a packed A panel a (kc x kMR) and a packed B panel b
//     (kc x kNR); rows <= kMR and cols <= kNR (edge tiles), the panels are zero-padded.
//   static void pack_a(int64_t mc, int64_t kc, const float* A, int64_t rs, int64_t cs, float* dst);
//   static void pack_b(int64_t kc, int64_t cols, const float* B, int64_t rs, int64_t cs, float* dst);
//     pack as pack_a<kMR> and pack_b_panel<kNR> below do (a kernel may do it faster).
//   static constexpr int64_t kInPlaceAPanels;  0, or: products of at most this many B panels
//     skip packing A (each A value is used that few times, so packing it would cost about as
//     much as the arithmetic) and call, for full kMR-row panels,
//   static void tile_in_place(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs,
//                             const float* b, float* c, int64_t ldc, int64_t cols, bool add_to_c);
//
// Each element of C is summed in the same order (k ascending within a depth block, depth
// blocks in order) whatever the thread count, so results do not depend on it.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace uniad::ops::detail::packed {

inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// At least `floats` floats of `buf`, starting on a 64-byte (cache line) boundary so that a
// packed panel row never straddles two lines.
inline float* aligned_floats(std::vector<float>& buf, size_t floats) {
  if (buf.size() < floats + 16) buf.resize(floats + 16);
  const auto p = reinterpret_cast<uintptr_t>(buf.data());
  return reinterpret_cast<float*>((p + 63) & ~uintptr_t(63));
}

// Packs rows [0, mc) x depth [0, kc) of A into MR-row panels: panel p holds, for each k, the
// MR values A[p*MR + r, k] side by side. Rows past mc are zero.
template <int64_t MR>
void pack_a(int64_t mc, int64_t kc, const float* A, int64_t rs, int64_t cs, float* dst) {
  for (int64_t i0 = 0; i0 < mc; i0 += MR) {
    const int64_t rows = std::min(MR, mc - i0);
    for (int64_t k = 0; k < kc; ++k) {
      for (int64_t r = 0; r < rows; ++r) dst[r] = A[(i0 + r) * rs + k * cs];
      for (int64_t r = rows; r < MR; ++r) dst[r] = 0.f;
      dst += MR;
    }
  }
}

// Packs depth [0, kc) x `cols` columns of B into one NR-column panel (k-major); columns past
// `cols` are zero. Row-major B copies rows; transposed B (a weight read as W^T) walks each
// column down its contiguous k instead of gathering one strided value per column and k.
template <int64_t NR>
void pack_b_panel(int64_t kc, int64_t cols, const float* B, int64_t rs, int64_t cs, float* dst) {
  if (cs == 1) {
    for (int64_t k = 0; k < kc; ++k, dst += NR) {
      std::memcpy(dst, B + k * rs, cols * sizeof(float));
      std::fill(dst + cols, dst + NR, 0.f);
    }
    return;
  }
  for (int64_t c = 0; c < cols; ++c)
    for (int64_t k = 0; k < kc; ++k) dst[k * NR + c] = B[k * rs + c * cs];
  if (cols < NR)
    for (int64_t k = 0; k < kc; ++k) std::fill(dst + k * NR + cols, dst + (k + 1) * NR, 0.f);
}

// C[M, N] (row-major, leading dimension ldc) = A x B, or += when accumulate; A and B read
// through element strides. One OpenMP team per product (none when already inside a parallel
// region: the batched attention products run one per thread).
template <class Kernel>
void sgemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t a_rs, int64_t a_cs, const float* B, int64_t b_rs,
           int64_t b_cs, float* C, int64_t ldc, bool accumulate) {
  constexpr int64_t MR = Kernel::kMR, NR = Kernel::kNR, KC = Kernel::kKC, MC = Kernel::kMC, NC = Kernel::kNC;
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!accumulate)
      for (int64_t i = 0; i < M; ++i) std::fill(C + i * ldc, C + i * ldc + N, 0.f);
    return;
  }
  const bool nested = omp_in_parallel();
  const int threads = nested ? 1 : omp_get_max_threads();
  // Row blocks: a multiple of the thread count, each a whole number of MR-row tiles, the tiles
  // dealt out as evenly as they go (M = 1024 at MR = 14: 518 / 506 rows, not 532 / 492).
  const int64_t per_thread_blocks = (M + threads * MC - 1) / (threads * MC);
  const int64_t blocks = threads * per_thread_blocks;
  const int64_t tiles = (M + MR - 1) / MR;
  auto block_start = [&](int64_t b) { return std::min(M, b * tiles / blocks * MR); };
  const int64_t mc_step = (tiles + blocks - 1) / blocks * MR;  // rows of the largest block
  const int64_t kc_max = std::min(KC, K);
  const int64_t nc_max = std::min(NC, round_up(N, NR));
  const bool a_in_place = (N + NR - 1) / NR <= Kernel::kInPlaceAPanels;
  thread_local std::vector<float> b_storage;  // the calling thread's; shared by the team
  float* bp = aligned_floats(b_storage, static_cast<size_t>(kc_max * nc_max));

  // Every thread of the team walks the same block loops; the work-sharing loops inside split
  // packing and row blocks between them.
#pragma omp parallel num_threads(threads)
  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = std::min(NC, N - jc);
    const int64_t panels = (nc + NR - 1) / NR;
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min(KC, K - pc);
      const bool add = accumulate || pc > 0;  // later depth blocks add to the earlier ones
      const float* b_src = B + pc * b_rs + jc * b_cs;
#pragma omp for schedule(static)
      for (int64_t p = 0; p < panels; ++p)
        Kernel::pack_b(kc, std::min(NR, nc - p * NR), b_src + p * NR * b_cs, b_rs, b_cs, bp + p * NR * kc);
      // implicit barrier: B is packed before anyone multiplies
#pragma omp for schedule(static)
      for (int64_t block = 0; block < blocks; ++block) {
        const int64_t ic = block_start(block), mc = block_start(block + 1) - ic;
        if (mc <= 0) continue;
        const float* a_src = A + ic * a_rs + pc * a_cs;
        thread_local std::vector<float> a_storage;  // per thread, reused across calls
        float* ap = aligned_floats(a_storage, static_cast<size_t>(round_up(mc_step, MR) * kc_max));
        // In place, only a last partial row panel is packed (the kernel reads MR rows).
        const int64_t packed_from = a_in_place ? mc / MR * MR : 0;
        Kernel::pack_a(mc - packed_from, kc, a_src + packed_from * a_rs, a_rs, a_cs, ap + packed_from * kc);
        for (int64_t p = 0; p < panels; ++p) {
          const int64_t cols = std::min(NR, nc - p * NR);
          const float* b = bp + p * NR * kc;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            float* c = C + (ic + ir) * ldc + jc + p * NR;
            if constexpr (Kernel::kInPlaceAPanels > 0) {
              if (ir < packed_from) {
                Kernel::tile_in_place(kc, a_src + ir * a_rs, a_rs, a_cs, b, c, ldc, cols, add);
                continue;
              }
            }
            Kernel::tile(kc, ap + ir * kc, b, c, ldc, std::min(MR, mc - ir), cols, add);
          }
        }
      }
      // implicit barrier: nobody repacks B while others still read it
    }
  }
}

}  // namespace uniad::ops::detail::packed

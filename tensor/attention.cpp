#include "tensor/attention.h"

#include <omp.h>
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "tensor/cuda/backend.h"
#include "tensor/fast_exp.h"
#include "tensor/matmul.h"
#include "tensor/random.h"

namespace uniad::ops {

namespace {

// A 3-D operand [N, rows, cols] the GEMM reads in place (one unit stride on the last two axes),
// else a contiguous copy.
Tensor gemm_readable(const Tensor& t) {
  const int64_t rows = t.size(1), cols = t.size(2), rs = t.strides()[1], cs = t.strides()[2];
  if ((cs == 1 && rs >= cols) || (rs == 1 && cs >= rows)) return t;
  return t.contiguous();
}

// One [rows, cols] block of a 3-D operand: base pointer and element strides.
template <typename T>
struct Block {
  const T* p;
  int64_t rs, cs;
};
template <typename T>
Block<T> block_of(const Tensor& t, int64_t n) {
  return {t.data<T>() + n * t.strides()[0], t.strides()[1], t.strides()[2]};
}

// Dropout keep bits of one product: W words, bit j of the product's row-major [L, S] block.
int64_t words_per_product(int64_t LS) { return (LS + 63) / 64; }

// exp(x) for float x <= 0 (shifted logits) without a libm call: x = k ln2 + r, |r| <= ln2/2,
// exp(r) by Cephes' expf polynomial (about 1 ulp), 2^k put into the exponent bits. Below -87.3
// (where float runs out) and at -inf it gives exactly 0, so excluded keys get zero weight.
inline float exp_nonpositive(float x) {
  if (!(x >= -87.3f)) return std::isnan(x) ? x : 0.0f;
  const float k = std::floor(x * 1.44269504088896341f + 0.5f);
  const float r = (x - k * 0.693359375f) - k * -2.12194440e-4f;  // ln2 split in two for accuracy
  return fastmath::exp_reduced(r) * fastmath::pow2_whole(k);
}

#if defined(__AVX2__) && defined(__FMA__)
// exp_nonpositive on 8 lanes.
inline __m256 exp_nonpositive8(__m256 x) {
  const __m256 k = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
  __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
  const __m256 k_safe = _mm256_max_ps(k, _mm256_set1_ps(-126.0f));  // lanes below -87.3 are zeroed below
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(k_safe), _mm256_set1_epi32(127)), 23);
  const __m256 y = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
  const __m256 in_range = _mm256_cmp_ps(x, _mm256_set1_ps(-87.3f), _CMP_GE_OQ);  // false for -inf and NaN
  const __m256 is_nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
  return _mm256_or_ps(_mm256_and_ps(in_range, y), _mm256_and_ps(is_nan, x));
}
// Sum of 8 floats into 4 doubles.
inline __m256d add_widened(__m256d acc, __m256 v) {
  return _mm256_add_pd(_mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_castps256_ps128(v))),
                       _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}
inline double hsum(__m256d v) {
  const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}
#endif

// max(y), exp(y - max) in place and its sum (in double): the two softmax passes that matter.
template <typename T>
T row_max(const T* y, int64_t n) {
  T m = -std::numeric_limits<T>::infinity();
  int64_t i = 0;
#if defined(__AVX2__) && defined(__FMA__)
  if constexpr (std::is_same_v<T, float>) {
    __m256 vm = _mm256_set1_ps(m);
    for (; i + 8 <= n; i += 8) vm = _mm256_max_ps(vm, _mm256_loadu_ps(y + i));
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, vm);
    for (float l : lanes) m = std::max(m, l);
  }
#endif
  for (; i < n; ++i) m = std::max(m, y[i]);
  return m;
}
template <typename T>
double exp_shifted_sum(T* y, int64_t n, T shift) {
  double total = 0;
  int64_t i = 0;
  if constexpr (std::is_same_v<T, float>) {
#if defined(__AVX2__) && defined(__FMA__)
    __m256d acc = _mm256_setzero_pd();
    const __m256 vs = _mm256_set1_ps(shift);
    for (; i + 8 <= n; i += 8) {
      const __m256 e = exp_nonpositive8(_mm256_sub_ps(_mm256_loadu_ps(y + i), vs));
      _mm256_storeu_ps(y + i, e);
      acc = add_widened(acc, e);
    }
    total = hsum(acc);
#endif
    for (; i < n; ++i) total += (y[i] = exp_nonpositive(y[i] - shift));
  } else {
    for (; i < n; ++i) total += (y[i] = std::exp(y[i] - shift));
  }
  return total;
}

// Softmax of one row in place, y = softmax(y + mask), as tensor/softmax.cpp does it (max
// subtracted, row sum in double, a fully excluded row gives zeros) but vectorised: float rows
// use exp_nonpositive, so they agree with the reference to about 1e-7 rather than to the bit.
template <typename T>
void softmax_row_inplace(T* y, const T* mask, int64_t n) {
  if (mask)
    for (int64_t i = 0; i < n; ++i) y[i] += mask[i];
  const T max_z = row_max(y, n);
  if (max_z == -std::numeric_limits<T>::infinity()) {  // every key excluded: no attention (NaN stays NaN)
    for (int64_t i = 0; i < n; ++i)
      if (!std::isnan(y[i])) y[i] = T(0);
    return;
  }
  const T inv_total = static_cast<T>(1.0 / exp_shifted_sum(y, n, max_z));
  for (int64_t i = 0; i < n; ++i) y[i] *= inv_total;
}

// Softmax backward of one row in place: dx = y (g - sum(g y)), g arriving in `row`.
template <typename T>
void softmax_backward_row_inplace(T* row, const T* y, int64_t n) {
  double dot = 0;
  int64_t j = 0;
#if defined(__AVX2__) && defined(__FMA__)
  if constexpr (std::is_same_v<T, float>) {
    __m256d acc = _mm256_setzero_pd();
    for (; j + 4 <= n; j += 4)
      acc = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm_loadu_ps(row + j)), _mm256_cvtps_pd(_mm_loadu_ps(y + j)), acc);
    dot = hsum(acc);
  }
#endif
  for (; j < n; ++j) dot += static_cast<double>(row[j]) * y[j];
  const T g_dot_y = static_cast<T>(dot);
  for (j = 0; j < n; ++j) row[j] = y[j] * (row[j] - g_dot_y);
}

// Dropout keep bits of elements [first, first + count) of the stream, count <= 64, bit b for
// element first + b. counter_uniform(key, i) >= p is the same test as (bits >> 40) >= ceil(p 2^24)
// on the integer draw (both sides exact), which vectorises.
inline uint64_t keep_word(uint64_t key, uint64_t first, int64_t count, uint64_t threshold) {
  uint64_t word = 0;
#pragma omp simd reduction(| : word)
  for (int64_t b = 0; b < count; ++b)
    word |= static_cast<uint64_t>((counter_random(key, first + b) >> 40) >= threshold) << b;
  return word;
}

// out[j] = in[j] * (kept ? scale : 0) for the LS elements of one product, the keep decision read
// from its bits. in == out is allowed.
template <typename T>
void apply_keep_bits(const T* in, T* out, const uint64_t* bits, int64_t LS, T scale) {
  for (int64_t w = 0; w * 64 < LS; ++w) {
    const uint64_t word = bits[w];
    const int64_t base = w * 64, count = std::min<int64_t>(64, LS - base);
#pragma omp simd
    for (int64_t b = 0; b < count; ++b) out[base + b] = in[base + b] * (((word >> b) & 1) ? scale : T(0));
  }
}

template <typename T>
T keep_scale(const AttentionDropout& d) {
  return static_cast<T>(1.0 / (1.0 - d.p));
}

void check_operands(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask) {
  UNIAD_CHECK(q.defined() && k.defined() && v.defined(), "attention: undefined operand");
  UNIAD_CHECK(q.dim() == 3 && k.dim() == 3 && v.dim() == 3 && k.size(0) == q.size(0) && v.size(0) == q.size(0) &&
                  k.size(2) == q.size(2) && v.size(1) == k.size(1),
              "attention: expected q [N, L, hd], k [N, S, hd], v [N, S, hv], got ", shape_str(q.shape()), ", ",
              shape_str(k.shape()), ", ", shape_str(v.shape()));
  UNIAD_CHECK(k.dtype() == q.dtype() && v.dtype() == q.dtype(), "attention: dtypes differ: q ", dtype_name(q.dtype()),
              ", k ", dtype_name(k.dtype()), ", v ", dtype_name(v.dtype()));
  if (mask.defined())
    UNIAD_CHECK(mask.shape() == Shape({q.size(1), k.size(1)}) && mask.dtype() == q.dtype(), "attention: mask ",
                dtype_name(mask.dtype()), " ", shape_str(mask.shape()), " must be ", dtype_name(q.dtype()), " [L, S] = [",
                q.size(1), ", ", k.size(1), "]");
}

}  // namespace

AttentionSaved attention_forward(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in, const Tensor& mask_in,
                                 const AttentionDropout& dropout, bool keep_probs) {
  check_operands(q_in, k_in, v_in, mask_in);
  UNIAD_CHECK(dropout.p >= 0 && dropout.p <= 1, "attention: dropout probability ", dropout.p, " is outside [0, 1]");
  if (cuda::on_gpu("attention_forward", q_in, k_in, v_in, mask_in))
    return cuda::attention_forward(q_in, k_in, v_in, mask_in, dropout, keep_probs);
  const Tensor q = gemm_readable(q_in), k = gemm_readable(k_in), v = gemm_readable(v_in);
  const Tensor mask = mask_in.defined() ? mask_in.contiguous() : Tensor();
  const int64_t N = q.size(0), L = q.size(1), S = k.size(1), hd = q.size(2), hv = v.size(2), LS = L * S;
  const int64_t W = words_per_product(LS);

  AttentionSaved out;
  out.context = Tensor::empty({L, N, hv}, q.dtype()).transpose(0, 1);  // [N, L, hv] over [L, N, hv]
  if (keep_probs) out.probs = Tensor::empty({N, L, S}, q.dtype());     // [N, L, S]
  if (keep_probs && dropout.active()) out.keep = Tensor::empty({N, W}, DType::Int64);  // [N, W] bits
  if (N == 0 || L == 0) return out;  // (hv == 0 still fills probs: backward reads them)

  dispatch_float(q.dtype(), "attention_forward", [&](auto tag) {
    using T = decltype(tag);
    const T* mp = mask.defined() ? mask.data<T>() : nullptr;
    T* probs = keep_probs ? out.probs.template data<T>() : nullptr;
    uint64_t* keep = out.keep.defined() ? reinterpret_cast<uint64_t*>(out.keep.template data<int64_t>()) : nullptr;
    T* ctx = out.context.template data<T>();
    const T scale = keep_scale<T>(dropout);
    const uint64_t threshold = static_cast<uint64_t>(std::ceil(std::ldexp(dropout.p, 24)));
#pragma omp parallel if (N > 1)
    {
      // Per-thread [L, S] tiles: P when it is not kept, and the dropped weights Pd.
      std::vector<T> p_tile(keep_probs ? 0 : LS), d_tile(dropout.active() ? LS : 0);
      std::vector<uint64_t> bits_tile(dropout.active() && !keep ? W : 0);
#pragma omp for schedule(static)
      for (int64_t n = 0; n < N; ++n) {
        const Block<T> qn = block_of<T>(q, n), kn = block_of<T>(k, n), vn = block_of<T>(v, n);
        T* P = keep_probs ? probs + n * LS : p_tile.data();  // [L, S]
        gemm_raw(L, S, hd, qn.p, qn.rs, qn.cs, kn.p, kn.cs, kn.rs, P, S, false);  // q k^T
        for (int64_t l = 0; l < L; ++l) softmax_row_inplace(P + l * S, mp ? mp + l * S : nullptr, S);
        const T* Pd = P;
        if (dropout.active()) {
          uint64_t* bits = keep ? keep + n * W : bits_tile.data();
          for (int64_t w = 0; w < W; ++w)
            bits[w] = keep_word(dropout.key, static_cast<uint64_t>(n * LS + w * 64), std::min<int64_t>(64, LS - w * 64),
                                threshold);
          apply_keep_bits(P, d_tile.data(), bits, LS, scale);
          Pd = d_tile.data();
        }
        gemm_raw(L, hv, S, Pd, S, 1, vn.p, vn.rs, vn.cs, ctx + n * hv, N * hv, false);  // Pd v
      }
    }
  });
  return out;
}

AttentionGrads attention_backward(const Tensor& g_in, const Tensor& q_in, const Tensor& k_in, const Tensor& v_in,
                                  const AttentionSaved& saved, const AttentionDropout& dropout, bool need_q,
                                  bool need_k, bool need_v) {
  check_operands(q_in, k_in, v_in, Tensor());
  UNIAD_CHECK(saved.probs.defined(), "attention_backward: the forward pass kept no weights (keep_probs = false)");
  const int64_t N = q_in.size(0), L = q_in.size(1), S = k_in.size(1), hd = q_in.size(2), hv = v_in.size(2);
  const int64_t LS = L * S;
  UNIAD_CHECK(g_in.shape() == Shape({N, L, hv}) && g_in.dtype() == q_in.dtype(), "attention_backward: gradient ",
              shape_str(g_in.shape()), " does not match the context [", N, ", ", L, ", ", hv, "]");
  // The GPU keeps no keep bits: it redraws the mask from the key.
  if (cuda::on_gpu("attention_backward", g_in, q_in, k_in, v_in, saved.probs))
    return cuda::attention_backward(g_in, q_in, k_in, v_in, saved, dropout, need_q, need_k, need_v);
  UNIAD_CHECK(saved.keep.defined() || !dropout.active(), "attention_backward: the forward pass kept no dropout bits");
  const Tensor q = gemm_readable(q_in), k = gemm_readable(k_in), v = gemm_readable(v_in);
  const Tensor g = gemm_readable(g_in);
  const int64_t W = words_per_product(LS);

  AttentionGrads out = attention_grad_buffers(N, L, S, hd, hv, q.dtype(), Device::cpu(), need_q, need_k, need_v);
  if (N == 0 || L == 0 || S == 0) return out;

  dispatch_float(q.dtype(), "attention_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* probs = saved.probs.template data<T>();
    const uint64_t* keep =
        dropout.active() ? reinterpret_cast<const uint64_t*>(saved.keep.template data<int64_t>()) : nullptr;
    const T scale = keep_scale<T>(dropout);
    T* dq = need_q ? out.dq.template data<T>() : nullptr;
    T* dk = need_k ? out.dk.template data<T>() : nullptr;
    T* dv = need_v ? out.dv.template data<T>() : nullptr;
#pragma omp parallel if (N > 1)
    {
      std::vector<T> tile(LS);  // per-thread [L, S]: Pd, then dPd -> dP -> dS in place
#pragma omp for schedule(static)
      for (int64_t n = 0; n < N; ++n) {
        const Block<T> qn = block_of<T>(q, n), kn = block_of<T>(k, n), vn = block_of<T>(v, n), gn = block_of<T>(g, n);
        const T* P = probs + n * LS;  // [L, S]
        const uint64_t* bits = keep ? keep + n * W : nullptr;
        if (need_v) {  // dv = Pd^T g
          const T* Pd = P;
          if (bits) {
            apply_keep_bits(P, tile.data(), bits, LS, scale);
            Pd = tile.data();
          }
          gemm_raw(S, hv, L, Pd, 1, S, gn.p, gn.rs, gn.cs, dv + n * hv, N * hv, false);
        }
        if (!need_q && !need_k) continue;
        T* dS = tile.data();
        gemm_raw(L, S, hv, gn.p, gn.rs, gn.cs, vn.p, vn.cs, vn.rs, dS, S, false);  // dPd = g v^T
        if (bits) apply_keep_bits(dS, dS, bits, LS, scale);                       // dP
        for (int64_t l = 0; l < L; ++l) softmax_backward_row_inplace(dS + l * S, P + l * S, S);  // dS
        if (need_q) gemm_raw(L, hd, S, dS, S, 1, kn.p, kn.rs, kn.cs, dq + n * hd, N * hd, false);  // dS k
        if (need_k) gemm_raw(S, hd, L, dS, 1, S, qn.p, qn.rs, qn.cs, dk + n * hd, N * hd, false);  // dS^T q
      }
    }
  });
  return out;
}

AttentionGrads attention_grad_buffers(int64_t N, int64_t L, int64_t S, int64_t hd, int64_t hv, DType dtype,
                                      Device device, bool need_q, bool need_k, bool need_v) {
  // Laid out [T, N, h] under a [N, T, h] view, like the head-split views the gradients flow to.
  AttentionGrads out;
  if (need_q) out.dq = Tensor::empty({L, N, hd}, dtype, device).transpose(0, 1);  // [N, L, hd]
  if (need_k) out.dk = Tensor::empty({S, N, hd}, dtype, device).transpose(0, 1);  // [N, S, hd]
  if (need_v) out.dv = Tensor::empty({S, N, hv}, dtype, device).transpose(0, 1);  // [N, S, hv]
  if (N > 0 && (L == 0 || S == 0)) {  // empty products: every gradient is zero
    for (Tensor* t : {&out.dq, &out.dk, &out.dv})
      if (t->defined()) t->fill_(0.0);
  }
  return out;
}

Tensor attention_dropout_scale(const Shape& shape, DType dtype, const AttentionDropout& dropout, Device device) {
  if (!device.is_cpu()) return cuda::attention_dropout_scale(shape, dtype, dropout, device);
  Tensor out = Tensor::empty(shape, dtype);  // [N, L, S]
  const int64_t total = out.numel();
  dispatch_float(dtype, "attention_dropout_scale", [&](auto tag) {
    using T = decltype(tag);
    T* p = out.data<T>();
    const T scale = keep_scale<T>(dropout);
#pragma omp parallel for schedule(static) if (total > (1 << 16))
    for (int64_t i = 0; i < total; ++i)
      p[i] = counter_uniform(dropout.key, static_cast<uint64_t>(i)) >= dropout.p ? scale : T(0);
  });
  return out;
}

}  // namespace uniad::ops

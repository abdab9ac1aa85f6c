// Masked scaled-dot-product attention on the GPU, forward and backward, with the contract of
// tensor/attention.h. N = B*H products, L queries, S keys, hd (q, k) and hv (v) features.
//
// Composed from cuBLAS batched GEMMs (tensor/cuda/cublas.cuh) and the row kernels of
// tensor/cuda/softmax.cu:
//   forward:  P = softmax(q k^T + mask) [N, L, S];  Pd = dropout(P);  context = Pd v
//   backward: dv = Pd^T g;  dP = dropout'(g v^T);  dS = P (dP - rowsum(dP P));
//             dq = dS k;    dk = dS^T q
// The GEMMs read the head-split views of q, k, v in place and write context, dq, dk, dv into
// [T, N, h] buffers seen as [N, T, h] (row stride N * h, batch stride h), so heads merge free.
//
// Dropout keeps no bits on the GPU (saved.keep stays undefined): the keep decision for element
// i of the row-major [N, L, S] order is redrawn from the key, counter_uniform(key, i) >= p.
// For inference without weights (keep_probs = false, no dropout) and S <= kFusedMaxKeys, one
// fused kernel does the whole forward in shared memory (attention_fused.cuh).
#include <cmath>

#include "tensor/cuda/attention_fused.cuh"
#include "tensor/cuda/cublas.cuh"
#include "tensor/cuda/dropout_mask.cuh"

namespace uniad::cuda {

namespace {

// out[i] = in[i] * (kept(i) ? scale : 0) over the row-major [N, L, S] index i; in == out allowed.
template <typename T>
__global__ void attention_dropout_kernel(const T* in, T* out, int64_t n, uint64_t key, uint64_t threshold, T scale) {
  UNIAD_GRID_LOOP(i, n) {
    const bool kept = dropout_kept(key, i, threshold);
    out[i] = in[i] * (kept ? scale : T(0));
  }
}

// The dropout mask itself: out[i] = kept(i) ? scale : 0.
template <typename T>
__global__ void attention_dropout_scale_kernel(T* out, int64_t n, uint64_t key, uint64_t threshold, T scale) {
  UNIAD_GRID_LOOP(i, n) {
    out[i] = dropout_kept(key, i, threshold) ? scale : T(0);
  }
}

template <typename T>
T keep_scale(const ops::AttentionDropout& d) {
  return static_cast<T>(1.0 / (1.0 - d.p));
}

// Pd = dropout(x) into `out` (which may be x): x, out contiguous [N, L, S].
template <typename T>
void apply_dropout(const Tensor& x, Tensor& out, const ops::AttentionDropout& dropout, const char* op) {
  const int64_t n = x.numel();
  attention_dropout_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(
      x.data<T>(), out.data<T>(), n, dropout.key, dropout_keep_threshold(dropout.p), keep_scale<T>(dropout));
  check_launch("attention_dropout_kernel", op);
}

// A 3-D operand [N, rows, cols] cuBLAS reads in place (a unit stride on one of the last two
// axes), else a contiguous copy: as tensor/attention.cpp's gemm_readable.
Tensor gemm_readable(const Tensor& t) {
  const int64_t rows = t.size(1), cols = t.size(2), rs = t.strides()[1], cs = t.strides()[2];
  if ((cs == 1 && rs >= cols) || (rs == 1 && cs >= rows)) return t;
  return t.contiguous();
}

// The operand t [N, rows, cols] as read by the GEMM, or its transpose [N, cols, rows].
template <typename T>
GemmOperand<T> operand(const Tensor& t) {
  return {t.data<T>(), t.strides()[1], t.strides()[2], t.strides()[0]};
}
template <typename T>
GemmOperand<T> operand_transposed(const Tensor& t) {
  return {t.data<T>(), t.strides()[2], t.strides()[1], t.strides()[0]};
}
// A contiguous [N, rows, cols] buffer, or its transpose.
template <typename T>
GemmOperand<T> contiguous_operand(const T* p, int64_t rows, int64_t cols) {
  return {p, cols, 1, rows * cols};
}
template <typename T>
GemmOperand<T> contiguous_operand_transposed(const T* p, int64_t rows, int64_t cols) {
  return {p, 1, cols, rows * cols};
}

// out [N, T, h] viewing [T, N, h]: product n's [T, h] block starts at n * h, rows N * h apart.
template <typename T>
void gemm_into_merged(int64_t rows, int64_t h, int64_t K, GemmOperand<T> a, GemmOperand<T> b, Tensor& out,
                      int64_t N, const char* op) {
  gemm_strided_batched<T>(rows, h, K, a, b, out.data<T>(), N * h, h, N, 1.0, 0.0, op);
}

}  // namespace

// tensor/attention.cpp has checked shapes, dtypes, devices and p.
ops::AttentionSaved attention_forward(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in,
                                      const Tensor& mask_in, const ops::AttentionDropout& dropout, bool keep_probs) {
  const Tensor q = gemm_readable(q_in), k = gemm_readable(k_in), v = gemm_readable(v_in);
  const Tensor mask = mask_in.defined() ? mask_in.contiguous() : Tensor();
  const int64_t N = q.size(0), L = q.size(1), S = k.size(1), hd = q.size(2), hv = v.size(2);
  const Device device = q.device();

  ops::AttentionSaved out;
  out.context = Tensor::empty({L, N, hv}, q.dtype(), device).transpose(0, 1);  // [N, L, hv] over [L, N, hv]
  if (N == 0 || L == 0 || S == 0) {  // no keys: zero weights, and the empty sum is a zero context
    if (keep_probs) out.probs = Tensor::empty({N, L, S}, q.dtype(), device);
    if (S == 0) out.context.fill_(0.0);
    return out;
  }
  if (!keep_probs && !dropout.active() && fused_attention_applies(q, k, v)) {
    fused_attention_forward(q, k, v, mask, out.context);
    return out;
  }
  dispatch_float(q.dtype(), "attention_forward", [&](auto tag) {
    using T = decltype(tag);
    Tensor scores = Tensor::empty({N, L, S}, q.dtype(), device);  // [N, L, S] = q k^T
    gemm_strided_batched<T>(L, S, hd, operand<T>(q), operand_transposed<T>(k), scores.data<T>(), S, L * S, N, 1.0,
                            0.0, "attention_forward");
    Tensor P = softmax_forward(scores, mask);  // [N, L, S]; the mask [L, S] broadcasts over N
    Tensor Pd = P;
    if (dropout.active()) {
      Pd = scores;  // scores are spent: reuse them for the dropped weights
      apply_dropout<T>(P, Pd, dropout, "attention_forward");
    }
    gemm_into_merged<T>(L, hv, S, contiguous_operand<T>(Pd.data<T>(), L, S), operand<T>(v), out.context, N,
                        "attention_forward");
    if (keep_probs) out.probs = P;
  });
  return out;
}

ops::AttentionGrads attention_backward(const Tensor& g_in, const Tensor& q_in, const Tensor& k_in,
                                       const Tensor& v_in, const ops::AttentionSaved& saved,
                                       const ops::AttentionDropout& dropout, bool need_q, bool need_k, bool need_v) {
  const Tensor q = gemm_readable(q_in), k = gemm_readable(k_in), v = gemm_readable(v_in), g = gemm_readable(g_in);
  const Tensor P = saved.probs.contiguous();  // [N, L, S]
  const int64_t N = q.size(0), L = q.size(1), S = k.size(1), hd = q.size(2), hv = v.size(2);
  const Device device = q.device();

  ops::AttentionGrads out = ops::attention_grad_buffers(N, L, S, hd, hv, q.dtype(), device, need_q, need_k, need_v);
  if (N == 0 || L == 0 || S == 0) return out;

  dispatch_float(q.dtype(), "attention_backward", [&](auto tag) {
    using T = decltype(tag);
    const char* op = "attention_backward";
    if (need_v) {  // dv [S, hv] = Pd^T [S, L] g [L, hv]
      Tensor Pd = P;
      if (dropout.active()) {
        Pd = Tensor::empty({N, L, S}, q.dtype(), device);
        apply_dropout<T>(P, Pd, dropout, op);
      }
      gemm_into_merged<T>(S, hv, L, contiguous_operand_transposed<T>(Pd.data<T>(), L, S), operand<T>(g), out.dv, N,
                          op);
    }
    if (!need_q && !need_k) return;
    Tensor dP = Tensor::empty({N, L, S}, q.dtype(), device);  // dPd = g v^T, then dP in place
    gemm_strided_batched<T>(L, S, hv, operand<T>(g), operand_transposed<T>(v), dP.data<T>(), S, L * S, N, 1.0, 0.0,
                            op);
    if (dropout.active()) apply_dropout<T>(dP, dP, dropout, op);
    const Tensor dS = softmax_backward(dP, P);  // [N, L, S] = P (dP - rowsum(dP P))
    if (need_q)  // dq [L, hd] = dS [L, S] k [S, hd]
      gemm_into_merged<T>(L, hd, S, contiguous_operand<T>(dS.data<T>(), L, S), operand<T>(k), out.dq, N, op);
    if (need_k)  // dk [S, hd] = dS^T [S, L] q [L, hd]
      gemm_into_merged<T>(S, hd, L, contiguous_operand_transposed<T>(dS.data<T>(), L, S), operand<T>(q), out.dk, N,
                          op);
  });
  return out;
}

Tensor attention_dropout_scale(const Shape& shape, DType dtype, const ops::AttentionDropout& dropout, Device device) {
  Tensor out = Tensor::empty(shape, dtype, device);  // [N, L, S]
  const int64_t n = out.numel();
  if (n == 0) return out;
  dispatch_float(dtype, "attention_dropout_scale", [&](auto tag) {
    using T = decltype(tag);
    attention_dropout_scale_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(
        out.data<T>(), n, dropout.key, dropout_keep_threshold(dropout.p), keep_scale<T>(dropout));
    check_launch("attention_dropout_scale_kernel", "attention_dropout_scale");
  });
  return out;
}

}  // namespace uniad::cuda

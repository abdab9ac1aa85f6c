// The fused attention forward for inference (see attention_fused.cuh).
//
// One warp per query row (r = n * L + l over all N products): the warp stages the query row and
// its S scores in shared memory, normalises them as tensor/softmax.cpp does (max subtracted, sum
// in double, a fully excluded row gives zero weights), then forms context = weights v with one
// lane per output feature. Consecutive warps take consecutive rows of one product, so a block's
// eight warps read the same k and v rows and those stay in cache.
#include <cmath>

#include "tensor/cuda/attention_fused.cuh"
#include "tensor/cuda/row_reduce.cuh"

namespace uniad::cuda {

namespace {

constexpr int64_t kFusedMaxKeys = 1024;
constexpr int64_t kFusedSharedBytes = 48 * 1024;  // the default per-block limit, no opt-in needed
constexpr int kFusedWarps = kRowBlockThreads / kWarpSize;

// Strides of a 3-D operand [N, T, h].
struct Strides3 {
  int64_t n, t, h;
};
Strides3 strides3(const Tensor& t) { return {t.strides()[0], t.strides()[1], t.strides()[2]}; }

// q [N, L, hd], k [N, S, hd], v [N, S, hv], ctx [N, L, hv] through their strides; mask [L, S]
// contiguous or nullptr. Shared memory: per warp S scores, then hd query values.
template <typename T>
__global__ void fused_attention_forward_kernel(const T* q, Strides3 qs, const T* k, Strides3 ks, const T* v,
                                               Strides3 vs, const T* mask, T* ctx, Strides3 cs, int64_t N,
                                               int64_t L, int64_t S, int64_t hd, int64_t hv) {
  extern __shared__ __align__(16) unsigned char shared_bytes[];
  T* scores = reinterpret_cast<T*>(shared_bytes) + (threadIdx.x / kWarpSize) * (S + hd);  // [S]
  T* q_row = scores + S;                                                                  // [hd]
  const WarpReduce warp{};
  const int lane = warp.rank();
  const T minus_inf = minus_infinity<T>();
  for (int64_t r = first_row(warp); r < N * L; r += row_stride(warp)) {
    const int64_t n = r / L, l = r % L;
    const T* qr = q + n * qs.n + l * qs.t;
    for (int64_t d = lane; d < hd; d += kWarpSize) q_row[d] = qr[d * qs.h];
    __syncwarp();
    // z_j = q_l . k_j + mask[l, j], one key per lane.
    const T* kn = k + n * ks.n;
    const T* mr = mask ? mask + l * S : nullptr;
    T max_z = minus_inf;
    for (int64_t j = lane; j < S; j += kWarpSize) {
      const T* kj = kn + j * ks.t;
      T dot = T(0);
      for (int64_t d = 0; d < hd; ++d) dot += q_row[d] * kj[d * ks.h];
      const T z = dot + (mr ? mr[j] : T(0));
      scores[j] = z;
      max_z = max_ignoring_nan(max_z, z);
    }
    max_z = warp_max(max_z);
    if (max_z == minus_inf) {  // every key excluded: zero weights (NaN logits stay NaN)
      for (int64_t j = lane; j < S; j += kWarpSize)
        if (!isnan(scores[j])) scores[j] = T(0);
    } else {
      double total = 0;
      for (int64_t j = lane; j < S; j += kWarpSize) {
        const T e = exp_of(scores[j] - max_z);
        scores[j] = e;
        total += e;
      }
      const T inv_total = static_cast<T>(1.0 / warp_sum(total));
      for (int64_t j = lane; j < S; j += kWarpSize) scores[j] *= inv_total;
    }
    __syncwarp();  // every lane reads every weight below
    // context[n, l, c] = sum_j P[l, j] v[n, j, c], one output feature per lane.
    const T* vn = v + n * vs.n;
    T* cr = ctx + n * cs.n + l * cs.t;
    for (int64_t c = lane; c < hv; c += kWarpSize) {
      T acc = T(0);
      for (int64_t j = 0; j < S; ++j) acc += scores[j] * vn[j * vs.t + c * vs.h];
      cr[c * cs.h] = acc;
    }
    __syncwarp();  // the next row overwrites scores and q_row
  }
}

int64_t shared_bytes_for(const Tensor& q, const Tensor& k) {
  return kFusedWarps * (k.size(1) + q.size(2)) * static_cast<int64_t>(dtype_size(q.dtype()));
}

}  // namespace

bool fused_attention_applies(const Tensor& q, const Tensor& k, const Tensor&) {
  return k.size(1) <= kFusedMaxKeys && shared_bytes_for(q, k) <= kFusedSharedBytes;
}

void fused_attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                             Tensor& context) {
  const int64_t N = q.size(0), L = q.size(1), S = k.size(1), hd = q.size(2), hv = v.size(2);
  const size_t shared = static_cast<size_t>(shared_bytes_for(q, k));
  dispatch_float(q.dtype(), "attention_forward", [&](auto tag) {
    using T = decltype(tag);
    fused_attention_forward_kernel<T><<<row_grid(N * L, S), kRowBlockThreads, shared, stream()>>>(
        q.data<T>(), strides3(q), k.data<T>(), strides3(k), v.data<T>(), strides3(v),
        mask.defined() ? mask.data<T>() : nullptr, context.data<T>(), strides3(context), N, L, S, hd, hv);
    check_launch("fused_attention_forward_kernel", "attention_forward");
  });
}

}  // namespace uniad::cuda

// Row reductions on the GPU: the device half of tensor/reduce.cpp. The caller has moved the
// reduced axes last and made the data contiguous, so every reduction here reads a matrix
// rows [outer, inner] and produces one value per row: one thread block per row, each thread
// striding over the row, partial results combined with warp shuffles and then across warps.
//
// Accumulation is in double for float32 too (as the CPU's row_sum): the sums are memory bound,
// so the wider adds cost nothing measurable, and float32 results differ from the CPU only by
// the order of the double additions (far below float32 rounding). float64 sums differ from the
// CPU's in the last few bits because the order of additions differs.
//
// Performance notes: a reduction over a leading axis (the bias gradient, [R, O] -> [O]) reaches
// here after tensor/reduce.cpp transposed it to [O, R] with the strided copy kernel; that copy
// reads with stride O and costs about as much as the reduction itself, but stays within a small
// factor of bandwidth. A dedicated column-sum kernel would avoid the copy if a profile asks.
// Very short rows (a few elements, many rows) leave most lanes of their 32-thread block idle.
#include <algorithm>

#include "tensor/cuda/common.cuh"

namespace uniad::cuda {

namespace {

// Threads per block for rows of `inner` elements: the smallest warp multiple up to kThreads
// that covers a row (short rows do not occupy 256 threads that would add zeros).
int threads_for_row(int64_t inner) {
  int threads = 32;
  while (threads < kThreads && threads < inner) threads *= 2;
  return threads;
}

// Blocks for a loop over `outer` rows (one block per row, grid-stride beyond the cap).
unsigned blocks_for_rows(int64_t outer) {
  return static_cast<unsigned>(std::clamp<int64_t>(outer, 1, 65535LL * 8));
}

__device__ double warp_sum(double v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

// The sum of v over the block, returned to every thread. Warp sums are added in warp order, so
// the result does not depend on scheduling. blockDim.x is a multiple of 32 (at most 1024).
__device__ double block_sum(double v) {
  __shared__ double warp_totals[32];
  v = warp_sum(v);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  if (lane == 0) warp_totals[warp] = v;
  __syncthreads();
  double total = 0;
  for (int w = 0; w < warps; ++w) total += warp_totals[w];
  __syncthreads();  // warp_totals is reused by the next call
  return total;
}

// ---- sum and mean ------------------------------------------------------------------------------
// Block (x, y) sums elements [y * chunk_len, (y + 1) * chunk_len) of row x (rows [outer, inner])
// and writes sum / divisor to out[x * gridDim.y + y]. With one chunk per row that is the
// result; with several, out holds per-chunk partial sums that a second launch adds up (rows
// too few to fill the GPU and too long for one block).
template <typename T, typename Out>
__global__ void row_sum_kernel(const T* rows, int64_t outer, int64_t inner, int64_t chunk_len, Out* out,
                               double divisor) {
  const int64_t begin = static_cast<int64_t>(blockIdx.y) * chunk_len;
  const int64_t end = begin + chunk_len < inner ? begin + chunk_len : inner;
  for (int64_t r = blockIdx.x; r < outer; r += gridDim.x) {
    const T* p = rows + r * inner;
    double acc = 0;
    for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) acc += p[i];
    acc = block_sum(acc);
    if (threadIdx.x == 0) out[r * gridDim.y + blockIdx.y] = static_cast<Out>(acc / divisor);
  }
}

template <typename T, typename Out>
void launch_row_sum(const T* rows, int64_t outer, int64_t inner, int64_t chunks, Out* out, double divisor) {
  const int64_t chunk_len = (inner + chunks - 1) / chunks;
  const dim3 grid(blocks_for_rows(outer), static_cast<unsigned>(chunks));
  row_sum_kernel<T, Out><<<grid, threads_for_row(chunk_len), 0, stream()>>>(rows, outer, inner, chunk_len, out,
                                                                            divisor);
  check_launch("row_sum_kernel", "sum");
}

// ---- variance ----------------------------------------------------------------------------------
// out[r] = sum_i (x_ri - mean_r)^2 / max(inner - correction, 0): the CPU's two passes (mean
// first, then squared deviations), both in double; the second pass rereads the row from cache.
template <typename T>
__global__ void row_var_kernel(const T* rows, int64_t outer, int64_t inner, T* out, int64_t correction) {
  for (int64_t r = blockIdx.x; r < outer; r += gridDim.x) {
    const T* p = rows + r * inner;
    double s = 0;
    for (int64_t i = threadIdx.x; i < inner; i += blockDim.x) s += p[i];
    const double mean = block_sum(s) / static_cast<double>(inner);
    double q = 0;
    for (int64_t i = threadIdx.x; i < inner; i += blockDim.x) q += (p[i] - mean) * (p[i] - mean);
    q = block_sum(q);
    if (threadIdx.x == 0) out[r] = static_cast<T>(q / static_cast<double>(inner - correction > 0 ? inner - correction : 0));
  }
}

// ---- max with the index of the first maximum ---------------------------------------------------
// A candidate (value, index); index -1 is "no element" (threads past the end of a short row).
template <typename T>
struct MaxCandidate {
  T value;
  int64_t index;
};

// The better of two candidates, as the CPU's scan decides: a NaN beats any number, a larger
// value beats a smaller one, and between equals (or two NaNs) the earlier index wins. This is a
// total order, so combining candidates in any tree gives the scan's answer.
template <typename T>
__device__ MaxCandidate<T> better(MaxCandidate<T> a, MaxCandidate<T> b) {
  if (a.index < 0) return b;
  if (b.index < 0) return a;
  const bool a_nan = a.value != a.value, b_nan = b.value != b.value;
  if (a_nan != b_nan) return a_nan ? a : b;
  if (a_nan || a.value == b.value) return a.index < b.index ? a : b;
  return a.value > b.value ? a : b;
}

// values[r], indices[r] = max and first argmax of row r (inner >= 1, checked by the caller).
template <typename T>
__global__ void row_max_kernel(const T* rows, int64_t outer, int64_t inner, T* values, int64_t* indices) {
  __shared__ T warp_values[32];
  __shared__ int64_t warp_indices[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  for (int64_t r = blockIdx.x; r < outer; r += gridDim.x) {
    const T* p = rows + r * inner;
    // Each thread scans its elements in increasing index order, keeping the first maximum.
    MaxCandidate<T> best{T(0), -1};
    for (int64_t i = threadIdx.x; i < inner; i += blockDim.x) best = better(best, MaxCandidate<T>{p[i], i});
    for (int offset = 16; offset > 0; offset >>= 1) {
      const MaxCandidate<T> other{__shfl_down_sync(0xffffffffu, best.value, offset),
                                  __shfl_down_sync(0xffffffffu, best.index, offset)};
      best = better(best, other);
    }
    if (lane == 0) {
      warp_values[warp] = best.value;
      warp_indices[warp] = best.index;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      for (int w = 1; w < warps; ++w) best = better(best, MaxCandidate<T>{warp_values[w], warp_indices[w]});
      values[r] = best.value;
      indices[r] = best.index;
    }
    __syncthreads();  // the shared arrays are reused by the next row
  }
}

// ---- max backward ------------------------------------------------------------------------------
// out (zeroed, contiguous input_shape) receives grad at the argmax of each reduced position:
// position `flat` of g_shape (the input shape with the reduced axis of size 1) writes to the
// same coordinates with axis `axis` replaced by its index. Distinct positions write distinct
// elements, so plain stores suffice. An index outside the axis is skipped rather than written
// out of bounds.
template <typename T>
__global__ void max_backward_kernel(const T* grad, StridedIndexer grad_ix, const int64_t* indices,
                                    StridedIndexer indices_ix, StridedIndexer out_ix, int axis, int64_t n, T* out) {
  UNIAD_GRID_LOOP(flat, n) {
    const int64_t index = indices[indices_ix.offset(flat)];
    if (index < 0 || index >= out_ix.shape[axis]) continue;
    int64_t rem = flat, off = 0;
    for (int d = grad_ix.ndim - 1; d >= 0; --d) {
      const int64_t i = rem % grad_ix.shape[d];
      rem /= grad_ix.shape[d];
      off += (d == axis ? index : i) * out_ix.strides[d];
    }
    out[off] = grad[grad_ix.offset(flat)];
  }
}

void check_rows(const Tensor& rows, int64_t outer, int64_t inner, const char* op) {
  UNIAD_CHECK(rows.is_contiguous() && rows.numel() == outer * inner, op, ": expected contiguous rows [", outer, ", ",
              inner, "], got ", shape_str(rows.shape()));
}

}  // namespace

void sum_rows(const Tensor& rows, int64_t outer, int64_t inner, Tensor& out, double divisor) {
  check_rows(rows, outer, inner, "sum");
  if (outer == 0) return;
  // A few long rows (a sum over everything) would leave all but a few SMs idle with one block
  // per row: split each row into chunks of at least kChunk elements, sum the chunks into double
  // partials, then sum the partials.
  constexpr int64_t kFewRows = 64, kChunk = 8192, kMaxChunks = 1024;
  const int64_t chunks = outer < kFewRows ? std::clamp<int64_t>(inner / kChunk, 1, kMaxChunks) : 1;
  dispatch_float(rows.dtype(), "sum", [&](auto tag) {
    using T = decltype(tag);
    if (chunks == 1) {
      launch_row_sum(rows.data<T>(), outer, inner, 1, out.data<T>(), divisor);
      return;
    }
    Tensor partial = Tensor::empty({outer, chunks}, DType::Float64, rows.device());  // [outer, chunks]
    launch_row_sum(rows.data<T>(), outer, inner, chunks, partial.data<double>(), 1.0);
    launch_row_sum(partial.data<double>(), outer, chunks, 1, out.data<T>(), divisor);
  });
}

void var_rows(const Tensor& rows, int64_t outer, int64_t inner, Tensor& out, int64_t correction) {
  check_rows(rows, outer, inner, "var");
  if (outer == 0) return;
  dispatch_float(rows.dtype(), "var", [&](auto tag) {
    using T = decltype(tag);
    row_var_kernel<T><<<blocks_for_rows(outer), threads_for_row(inner), 0, stream()>>>(rows.data<T>(), outer, inner,
                                                                                       out.data<T>(), correction);
    check_launch("row_var_kernel", "var");
  });
}

void max_rows(const Tensor& rows, int64_t outer, int64_t inner, Tensor& values, Tensor& indices) {
  check_rows(rows, outer, inner, "max");
  UNIAD_CHECK(inner > 0, "max: empty rows");
  if (outer == 0) return;
  dispatch_float(rows.dtype(), "max", [&](auto tag) {
    using T = decltype(tag);
    row_max_kernel<T><<<blocks_for_rows(outer), threads_for_row(inner), 0, stream()>>>(
        rows.data<T>(), outer, inner, values.data<T>(), indices.data<int64_t>());
    check_launch("row_max_kernel", "max");
  });
}

Tensor max_backward(const Tensor& grad, const Tensor& indices, const Shape& input_shape, int64_t axis, bool keepdim) {
  const int a = static_cast<int>(axis);  // normalized by tensor/reduce.cpp
  const Tensor g = keepdim ? grad : grad.unsqueeze(a);
  const Tensor ix = keepdim ? indices : indices.unsqueeze(a);
  UNIAD_CHECK(ix.dtype() == DType::Int64, "max_backward: indices must be int64, got ", dtype_name(ix.dtype()));
  UNIAD_CHECK(ix.shape() == g.shape(), "max_backward: indices of shape ", shape_str(indices.shape()),
              " for a gradient of shape ", shape_str(grad.shape()));
  return dispatch_float(grad.dtype(), "max_backward", [&](auto tag) {
    using T = decltype(tag);
    Tensor out = Tensor::empty(input_shape, grad.dtype(), grad.device());
    if (out.numel() == 0) return out;
    UNIAD_CUDA_CHECK(cudaMemsetAsync(out.raw_data(), 0, out.numel() * sizeof(T), stream()), "max_backward");
    const int64_t n = g.numel();
    if (n == 0) return out;
    max_backward_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(
        g.data<T>(), make_indexer(g, "max_backward"), ix.data<int64_t>(), make_indexer(ix, "max_backward"),
        make_indexer(out, "max_backward"), a, n, out.data<T>());
    check_launch("max_backward_kernel", "max_backward");
    return out;
  });
}

}  // namespace uniad::cuda

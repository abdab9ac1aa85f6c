#pragma once
// Row-wise kernels' shared pieces (softmax, layer norm, attention): sums and maxima over a warp
// or a block with shuffles, and the view of a strided tensor as rows along its last axis.
//
// Two launch shapes serve every row length: a warp per row for rows of up to kWarpRowMax
// elements (lane i takes elements i, i + 32, ...; no shared memory, no __syncthreads), and a
// block of kRowBlockThreads per row beyond that.
#include <cmath>

#include "tensor/cuda/common.cuh"

namespace uniad::cuda {

constexpr int kWarpSize = 32;
constexpr int64_t kWarpRowMax = 1024;
constexpr int kRowBlockThreads = 256;  // threads per block in both launch shapes (8 warps)

// Sum / maximum over the 32 lanes of a warp; every lane gets the result.
template <typename A>
__device__ inline A warp_sum(A v) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}
// NaN never wins (as std::max(m, x) with m the running maximum on the CPU).
template <typename A>
__device__ inline A max_ignoring_nan(A m, A x) {
  return m < x ? x : m;
}
template <typename A>
__device__ inline A warp_max(A v) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2)
    v = max_ignoring_nan(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}

// Sum / maximum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets
// the result. `scratch` is __shared__ A[32]; the trailing __syncthreads lets the caller reuse it.
template <typename A>
__device__ inline A block_sum(A v, A* scratch) {
  const int lane = threadIdx.x % kWarpSize, warp = threadIdx.x / kWarpSize, warps = blockDim.x / kWarpSize;
  v = warp_sum(v);
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  A total = A(0);
  for (int w = 0; w < warps; ++w) total += scratch[w];  // the same order in every thread
  __syncthreads();
  return total;
}
template <typename A>
__device__ inline A block_max(A v, A* scratch) {
  const int lane = threadIdx.x % kWarpSize, warp = threadIdx.x / kWarpSize, warps = blockDim.x / kWarpSize;
  v = warp_max(v);
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  A m = scratch[0];
  for (int w = 1; w < warps; ++w) m = max_ignoring_nan(m, scratch[w]);
  __syncthreads();
  return m;
}

// The reductions of one row's group of threads, as the row kernels take them: a warp
// (WarpReduce) or the whole block (BlockReduce, with __shared__ double scratch[32]). Maxima go
// through double in the block version: exact for float, and NaN is still ignored.
struct WarpReduce {
  __device__ int rank() const { return threadIdx.x % kWarpSize; }
  __device__ int size() const { return kWarpSize; }
  template <typename A>
  __device__ A sum(A v) const {
    return warp_sum(v);
  }
  template <typename A>
  __device__ A max(A v) const {
    return warp_max(v);
  }
};
struct BlockReduce {
  double* scratch;
  __device__ int rank() const { return threadIdx.x; }
  __device__ int size() const { return blockDim.x; }
  template <typename A>
  __device__ A sum(A v) const {
    return static_cast<A>(block_sum(static_cast<double>(v), scratch));
  }
  template <typename A>
  __device__ A max(A v) const {
    return static_cast<A>(block_max(static_cast<double>(v), scratch));
  }
};

// Rows handed to the groups of a launch: warp w of block b takes rows b * 8 + w, then strides
// by the whole grid (WarpReduce); or block b takes rows b, b + gridDim.x, ... (BlockReduce).
// Every thread of a group sees the same rows, so the group's shuffles and barriers line up.
__device__ inline int64_t first_row(WarpReduce) {
  return static_cast<int64_t>(blockIdx.x) * (blockDim.x / kWarpSize) + threadIdx.x / kWarpSize;
}
__device__ inline int64_t row_stride(WarpReduce) { return static_cast<int64_t>(gridDim.x) * (blockDim.x / kWarpSize); }
__device__ inline int64_t first_row(BlockReduce) { return blockIdx.x; }
__device__ inline int64_t row_stride(BlockReduce) { return gridDim.x; }

// Grid size for `rows` rows of `n` elements in the launch shape that row_kernel_uses_warps picks.
inline bool row_kernel_uses_warps(int64_t n) { return n <= kWarpRowMax; }
inline unsigned row_grid(int64_t rows, int64_t n) {
  return row_kernel_uses_warps(n) ? grid_for(rows, kRowBlockThreads / kWarpSize) : grid_for(rows, 1);
}

// A strided tensor read as rows along its last axis: element j of row r sits at
// base + rows.offset(r) + j * step. Built from make_indexer, so broadcast axes have stride 0.
struct RowView {
  StridedIndexer rows;  // the leading axes [...]
  int64_t step = 0;     // stride of the last axis
};
inline RowView row_view(const Tensor& t, const Shape& shape, const char* op) {
  RowView v;
  v.rows = make_indexer(t, shape, op);
  v.rows.ndim -= 1;
  v.step = v.rows.strides[v.rows.ndim];
  return v;
}

// -inf in T, usable in device code (std::numeric_limits is host-only there).
template <typename T>
__device__ inline T minus_infinity() {
  return static_cast<T>(-INFINITY);
}

// exp in the operand's precision.
__device__ inline float exp_of(float x) { return expf(x); }
__device__ inline double exp_of(double x) { return exp(x); }

}  // namespace uniad::cuda

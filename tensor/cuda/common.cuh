#pragma once
// What every .cu file of the back end shares: the stream, error checks that name the CUDA call
// and the op, launch sizes, and a strided indexer for kernels that read views in place.
#include <cuda_runtime.h>

#include <cstdint>

#include "tensor/cuda/backend.h"
#include "tensor/error.h"

namespace uniad::cuda {

// The stream all work of the back end is queued on (one per process and device in use;
// creates it on first use and makes `device` current).
cudaStream_t stream();
// The device of the calling thread's current context (set by stream()).
int current_device();

// Throws uniad::Error naming the op and the CUDA call when `status` is an error.
void check(cudaError_t status, const char* call, const char* op);
// After a kernel launch: reports a bad launch configuration at once, and, when the environment
// sets UNIAD_CUDA_SYNC=1, waits for the kernel so that a fault is blamed on the op that caused it.
void check_launch(const char* kernel, const char* op);

}  // namespace uniad::cuda

// UNIAD_CUDA_CHECK(cudaMemcpyAsync(...), "copy_") throws with the call's text and the op's name.
#define UNIAD_CUDA_CHECK(call, op) ::uniad::cuda::check((call), #call, (op))

namespace uniad::cuda {

constexpr int kThreads = 256;  // threads per block for the simple one-thread-per-element kernels

// Blocks for a grid-stride loop over n elements: enough to fill the GPU, never zero.
inline unsigned grid_for(int64_t n, int threads = kThreads) {
  const int64_t blocks = (n + threads - 1) / threads;
  const int64_t cap = 65535LL * 8;
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > cap ? cap : blocks));
}

// A tensor's view metadata passed by value to kernels: the element at row-major position i of
// `shape` sits at data + offset(i). Up to kMaxDims axes (tensors here have at most 6).
constexpr int kMaxDims = 8;
struct StridedIndexer {
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};
  __host__ __device__ int64_t offset(int64_t linear) const {
    int64_t off = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t i = linear % shape[d];
      linear /= shape[d];
      off += i * strides[d];
    }
    return off;
  }
};
// Indexer for `t` read as `shape` (broadcast: stride 0 on axes t lacks or has size 1).
StridedIndexer make_indexer(const Tensor& t, const Shape& shape, const char* op);
inline StridedIndexer make_indexer(const Tensor& t, const char* op) { return make_indexer(t, t.shape(), op); }

// Grid-stride loop: for (i = first index of this thread; i < n; i += all threads).
#define UNIAD_GRID_LOOP(i, n)                                                              \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

}  // namespace uniad::cuda

// The emulator's own test: barriers, shuffles and shared memory behave as on a GPU, and the
// mistakes it exists to catch are caught. Built and registered as a ctest by emulator.cmake.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <vector>

namespace {

int failures = 0;
void expect(bool ok, const char* what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  failures += !ok;
}

// Block-wide sum: shuffles within warps, warp totals through shared memory.
__global__ void block_sum_kernel(const float* x, float* out, int n) {
  __shared__ float warp_sums[32];
  float v = 0;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) v += x[i];
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = v;
  __syncthreads();
  if (threadIdx.x < 32) {
    v = threadIdx.x < blockDim.x / 32 ? warp_sums[threadIdx.x] : 0.f;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    if (threadIdx.x == 0) out[blockIdx.x] = v;
  }
}

// Threads past 40 leave before the barrier the others wait at.
__global__ void early_exit_kernel(float* out) {
  if (threadIdx.x >= 40) return;
  __syncthreads();
  out[threadIdx.x] = 1;
}

// A full-warp shuffle; out-of-range lanes of shfl_down read their own value.
__global__ void shuffle_down_kernel(float* out) {
  const float v = static_cast<float>(threadIdx.x);
  out[threadIdx.x] = v + __shfl_down_sync(0xffffffffu, v, 1);
}

// Each warp reads the shared value the next warp writes, without a barrier in between.
__global__ void missing_barrier_kernel(float* out) {
  __shared__ float per_warp[32];
  const int warp = threadIdx.x / 32, warps = blockDim.x / 32;
  if (threadIdx.x % 32 == 0) per_warp[warp] = 1.0f;
  out[threadIdx.x] = per_warp[(warp + 1) % warps];  // a __syncthreads belongs before this read
}

}  // namespace

int main() {
  std::vector<float> x(1000, 1.0f), sums(3, 0);
  block_sum_kernel<<<3, 256, 0, nullptr>>>(x.data(), sums.data(), 1000);
  expect(cudaGetLastError() == cudaSuccess && sums[0] + sums[1] + sums[2] == 1000, "block sum over 3 blocks");

  std::vector<float> out(256, 0);
  early_exit_kernel<<<1, 64, 0, nullptr>>>(out.data());
  expect(cudaGetLastError() == cudaErrorLaunchFailure, "__syncthreads after some threads returned fails the launch");

  shuffle_down_kernel<<<1, 48, 0, nullptr>>>(out.data());
  expect(cudaGetLastError() == cudaErrorLaunchFailure, "a full-mask shuffle in a 16-lane warp fails the launch");

  shuffle_down_kernel<<<1, 64, 0, nullptr>>>(out.data());
  expect(cudaGetLastError() == cudaSuccess && out[0] == 1 && out[30] == 61 && out[31] == 62 && out[32] == 65,
         "shfl_down: lane + delta past the warp reads the lane's own value");

  missing_barrier_kernel<<<1, 256, 0, nullptr>>>(out.data());
  bool stale = false;
  for (int t = 0; t < 256; ++t) stale = stale || std::isnan(out[t]);
  expect(cudaGetLastError() == cudaSuccess && stale, "a read of shared memory before the barrier sees poison");

  std::printf("%s\n", failures ? "cuda emulator self-test FAILED" : "cuda emulator self-test passed");
  return failures ? 1 : 0;
}

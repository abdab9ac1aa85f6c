#pragma once
// The device side of the CUDA emulator (tools/cuda_emulator/README.md): what a .cu file of the
// back end sees in place of nvcc's built-ins, compiled by the host compiler.
//
// A launch runs its blocks one after another on the calling thread; the blockDim threads of a
// block are fibers that switch only at barriers (__syncthreads, __syncwarp, shuffles), so a
// block's threads really interleave at those points and nowhere else. __shared__ variables are
// function statics: one copy, shared by the threads of the block that is running.
#include <math.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __align__(n) __attribute__((aligned(n)))
#define __shared__ static

struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
};
using cudaStream_t = struct CUstream_st*;

// The built-in coordinates of the emulated thread that is running.
extern thread_local uint3 threadIdx, blockIdx;
extern thread_local dim3 blockDim, gridDim;

namespace uniad::emu {

// Runs body(ctx) once per thread of the grid (see launch below). Launch errors are reported
// through cudaGetLastError, as a real launch's are.
void run_grid(const char* kernel, dim3 grid, dim3 block, std::size_t shared_bytes, cudaStream_t stream,
              void (*body)(void*), void* ctx);
// The launch's dynamic shared memory (extern __shared__).
void* dynamic_shared_bytes();
// Fills a static __shared__ array with 0xff bytes (NaN for floats) the first time a block
// reaches its declaration; later calls in the same block leave it alone.
void poison_shared(void* array, std::size_t bytes);
template <typename T>
T* dynamic_shared() {
  return static_cast<T*>(dynamic_shared_bytes());
}

// kernel<<<grid, block, shared, stream>>>(args...) as rewritten by cu_to_cpp.py: the arguments
// are evaluated once; every thread calls the kernel with its own copies.
template <typename F, typename... Args>
void launch(const char* kernel, dim3 grid, dim3 block, std::size_t shared_bytes, cudaStream_t stream, F f,
            Args&&... args) {
  std::tuple<std::decay_t<Args>...> saved(std::forward<Args>(args)...);
  auto body = [&] { std::apply([&](const auto&... a) { f(a...); }, saved); };
  run_grid(kernel, grid, block, shared_bytes, stream, [](void* p) { (*static_cast<decltype(body)*>(p))(); }, &body);
}

// Barriers of the running thread: the whole block, or the lanes of its warp named by mask.
void block_barrier();
void warp_barrier(unsigned mask);
// One shuffle: publish this lane's value, wait for the warp, read lane src's value, wait again
// (so that no lane overwrites its slot before every lane has read).
void shuffle(unsigned mask, const void* value, void* result, std::size_t bytes, int src_lane);
unsigned lane_id();
// The bits of the mask's lanes whose predicate holds (one exchange, as a shuffle).
unsigned vote(unsigned mask, bool predicate);

template <typename T>
T shuffle_from(unsigned mask, T v, int src_lane) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>, "shuffles move at most 8 bytes");
  T r;
  shuffle(mask, &v, &r, sizeof(T), src_lane);
  return r;
}

}  // namespace uniad::emu

inline void __syncthreads() { ::uniad::emu::block_barrier(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { ::uniad::emu::warp_barrier(mask); }

// Lanes outside [0, width) of the caller's segment read their own value (CUDA's rule).
template <typename T>
T __shfl_sync(unsigned mask, T v, int src, int width = 32) {
  const int lane = static_cast<int>(::uniad::emu::lane_id()), base = lane - lane % width;
  return ::uniad::emu::shuffle_from(mask, v, base + ((src % width) + width) % width);
}
template <typename T>
T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  const int lane = static_cast<int>(::uniad::emu::lane_id());
  const int src = lane % width + static_cast<int>(delta) >= width ? lane : lane + static_cast<int>(delta);
  return ::uniad::emu::shuffle_from(mask, v, src);
}
template <typename T>
T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  const int lane = static_cast<int>(::uniad::emu::lane_id());
  const int src = lane % width < static_cast<int>(delta) ? lane : lane - static_cast<int>(delta);
  return ::uniad::emu::shuffle_from(mask, v, src);
}
template <typename T>
T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
  const int lane = static_cast<int>(::uniad::emu::lane_id()), base = lane - lane % width;
  const int src = lane ^ lane_mask;
  return ::uniad::emu::shuffle_from(mask, v, src < base + width ? src : lane);
}

inline unsigned __ballot_sync(unsigned mask, int predicate) { return ::uniad::emu::vote(mask, predicate != 0); }
inline int __any_sync(unsigned mask, int predicate) { return ::uniad::emu::vote(mask, predicate != 0) != 0; }
inline int __all_sync(unsigned mask, int predicate) { return ::uniad::emu::vote(mask, predicate != 0) == mask; }

// Atomics: threads never run at the same time here, so a plain read-modify-write is atomic.
template <typename T>
T atomicAdd(T* address, T value) {
  const T old = *address;
  *address = old + value;
  return old;
}
template <typename T>
T atomicMax(T* address, T value) {
  const T old = *address;
  if (old < value) *address = value;
  return old;
}
template <typename T>
T atomicMin(T* address, T value) {
  const T old = *address;
  if (value < old) *address = value;
  return old;
}
template <typename T>
T atomicExch(T* address, T value) {
  const T old = *address;
  *address = value;
  return old;
}
template <typename T>
T atomicCAS(T* address, T compare, T value) {
  const T old = *address;
  if (old == compare) *address = value;
  return old;
}
template <typename T>
T __ldg(const T* p) {
  return *p;
}

// Correctly rounded arithmetic that the compiler may not fuse into an fma (what _rn means);
// the empty asm hides the product from contraction.
template <typename T>
inline T emu_opaque(T x) {
  asm("" : "+x"(x));
  return x;
}
inline float __fmul_rn(float a, float b) { return emu_opaque(a * b); }
inline double __dmul_rn(double a, double b) { return emu_opaque(a * b); }
inline float __fadd_rn(float a, float b) { return emu_opaque(emu_opaque(a) + emu_opaque(b)); }
inline double __dadd_rn(double a, double b) { return emu_opaque(emu_opaque(a) + emu_opaque(b)); }
inline float __fdiv_rn(float a, float b) { return emu_opaque(a / b); }
inline double __ddiv_rn(double a, double b) { return emu_opaque(a / b); }
inline float __fsqrt_rn(float a) { return std::sqrt(a); }
inline double __dsqrt_rn(double a) { return std::sqrt(a); }
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
inline double __fma_rn(double a, double b, double c) { return std::fma(a, b, c); }
// The GPU's rsqrt is within 1-2 ulp; here it is correctly rounded 1/sqrt.
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }

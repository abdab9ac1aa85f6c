// The CUDA emulator's kernel launcher and runtime API (tools/cuda_emulator/README.md).
//
// A launch runs its blocks one at a time. The threads of a block are ucontext fibers run by a
// scheduler on the calling thread: each runs until it reaches a barrier or returns. Warp by
// warp, a warp's lanes run until all wait (at a warp barrier, which is then released, or at
// __syncthreads) or have returned; when every warp is through, __syncthreads is released. A
// barrier that can never be released (a thread of the block has returned, lanes wait at
// different barriers, a mask names a missing lane) is reported as a launch failure naming the
// kernel, through cudaGetLastError, so the op that launched it throws.
#include <sys/mman.h>
#include <ucontext.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "cublas_v2.h"

thread_local uint3 threadIdx, blockIdx;
thread_local dim3 blockDim, gridDim;

namespace uniad::emu {
namespace {

constexpr int kWarp = 32;
constexpr std::size_t kStackBytes = 256 * 1024;  // per emulated thread
constexpr std::size_t kGuardBytes = 4096;
constexpr std::size_t kSharedLimit = 48 * 1024;  // the default per-block dynamic + static limit

enum class State { Ready, AtBlockBarrier, AtWarpBarrier, Done };

struct Fiber {
  ucontext_t context;
  State state = State::Ready;
  unsigned mask = 0;
  uint64_t slot = 0;  // this lane's published shuffle value
};

// The block being run (one per host thread: launches from different host threads do not mix).
struct Block {
  const char* kernel = nullptr;
  int threads = 0;
  int current = -1;
  std::vector<Fiber> fibers;
  ucontext_t scheduler;
  void (*body)(void*) = nullptr;
  void* ctx = nullptr;
  std::string failure;  // set when the block cannot go on
  std::vector<void*> poisoned;  // static __shared__ arrays this block has reached
};
thread_local Block* g_block = nullptr;
thread_local std::vector<char*> g_stacks;
thread_local std::vector<unsigned char> g_dynamic_shared;
thread_local cudaError_t g_last_error = cudaSuccess;
thread_local std::string g_failure_text;

void set_error(cudaError_t e, const std::string& text) {
  g_last_error = e;
  g_failure_text = text;
  std::fprintf(stderr, "[cuda emulator] %s\n", text.c_str());
}

// UNIAD_EMU_REVERSE=1 runs a block's warps, and a warp's lanes, from the last to the first, so
// that a read of shared memory that a lower thread writes without a barrier in between shows.
bool reverse_order() {
  static const bool reverse = [] {
    const char* v = std::getenv("UNIAD_EMU_REVERSE");
    return v && v[0] == '1';
  }();
  return reverse;
}

// UNIAD_EMU_STATS=1 prints, at exit, how often each kernel ran and with how many threads.
struct Stats {
  std::mutex mutex;
  std::map<std::string, std::pair<long long, long long>> launches;  // kernel -> (launches, threads run)
  ~Stats() {
    const char* v = std::getenv("UNIAD_EMU_STATS");
    if (!v || v[0] != '1') return;
    std::fprintf(stderr, "[cuda emulator] %-40s %10s %14s\n", "kernel", "launches", "threads run");
    for (const auto& [name, n] : launches)
      std::fprintf(stderr, "[cuda emulator] %-40s %10lld %14lld\n", name.c_str(), n.first, n.second);
  }
};
Stats g_stats;

char* stack_for(int t) {
  while (static_cast<int>(g_stacks.size()) <= t) {
    // A stack plus an inaccessible guard page below it: an overflow faults instead of
    // silently overwriting the next thread's stack.
    void* p = mmap(nullptr, kStackBytes + kGuardBytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED || mprotect(p, kGuardBytes, PROT_NONE) != 0) {
      std::perror("cuda emulator: mmap of a fiber stack");
      std::abort();
    }
    g_stacks.push_back(static_cast<char*>(p) + kGuardBytes);
  }
  return g_stacks[t];
}

void set_coordinates(int t) {
  threadIdx.x = t % blockDim.x;
  threadIdx.y = (t / blockDim.x) % blockDim.y;
  threadIdx.z = t / (blockDim.x * blockDim.y);
}

void fiber_main() {
  Block* b = g_block;
  b->body(b->ctx);
  b->fibers[b->current].state = State::Done;
  // returning resumes uc_link, the scheduler
}

// Gives control back to the scheduler; returns when this thread's barrier is released.
void wait_here(State s, unsigned mask) {
  Block* b = g_block;
  if (!b) {
    std::fprintf(stderr, "cuda emulator: a barrier or shuffle outside a kernel\n");
    std::abort();
  }
  const int t = b->current;
  b->fibers[t].state = s;
  b->fibers[t].mask = mask;
  swapcontext(&b->fibers[t].context, &b->scheduler);
  set_coordinates(t);
}

std::string where(const Block& b, int t) {
  return std::string(b.kernel) + " (block " + std::to_string(blockIdx.x) + "," + std::to_string(blockIdx.y) + "," +
         std::to_string(blockIdx.z) + ", thread " + std::to_string(t) + ")";
}

// Once no lane of the warp starting at w0 is ready: releases its warp barrier (true), or finds
// none to release (false), or sets b.failure when the warp is stuck. A warp barrier holds when
// every lane its mask names waits at a warp barrier with the same mask.
bool release_warp(Block& b, int w0) {
  int waiting = -1;
  for (int t = w0; t < w0 + kWarp && t < b.threads; ++t)
    if (b.fibers[t].state == State::AtWarpBarrier) waiting = t;
  if (waiting < 0) return false;
  const unsigned mask = b.fibers[waiting].mask;
  for (int lane = 0; lane < kWarp; ++lane) {
    const int t = w0 + lane;
    const bool named = (mask >> lane) & 1u;
    const bool exists = t < b.threads;
    if (exists && b.fibers[t].state == State::AtWarpBarrier && b.fibers[t].mask != mask) {
      b.failure = where(b, t) + ": lanes of one warp wait at warp barriers with different masks";
      return false;
    }
    if (!named) continue;
    if (!exists) {
      b.failure = where(b, waiting) + ": warp barrier or shuffle mask names lane " + std::to_string(lane) +
                  ", which does not exist (blockDim " + std::to_string(b.threads) + ")";
      return false;
    }
    if (b.fibers[t].state == State::Done) {
      b.failure = where(b, waiting) + ": warp barrier or shuffle waits for lane " + std::to_string(lane) +
                  ", which has returned";
      return false;
    }
    if (b.fibers[t].state == State::AtBlockBarrier) {
      b.failure = where(b, waiting) + ": warp barrier or shuffle while lane " + std::to_string(lane) +
                  " waits at __syncthreads (divergent barriers)";
      return false;
    }
  }
  for (int lane = 0; lane < kWarp; ++lane)
    if ((mask >> lane) & 1u) b.fibers[w0 + lane].state = State::Ready;
  return true;
}

// Once every warp waits at __syncthreads or has returned: releases the block barrier, or sets
// b.failure when some threads have returned (the barrier must be reached by all).
void release_block(Block& b) {
  int at_block = 0, done = 0;
  for (const Fiber& f : b.fibers) {
    at_block += f.state == State::AtBlockBarrier;
    done += f.state == State::Done;
  }
  if (at_block == 0) return;
  if (done == 0) {
    for (Fiber& f : b.fibers) f.state = State::Ready;
    return;
  }
  for (int t = 0; t < b.threads; ++t)
    if (b.fibers[t].state == State::AtBlockBarrier) {
      b.failure = where(b, t) + ": __syncthreads while " + std::to_string(done) +
                  " thread(s) of the block have returned (the barrier must be reached by all)";
      return;
    }
}

// Runs one block; false with b.failure set when it cannot complete. Each warp in turn runs as
// far as it can (its lanes in order, through its own warp barriers) before the next warp starts,
// so warps drift as far apart as __syncthreads lets them: a missing __syncthreads shows.
bool run_block(Block& b) {
  for (int t = 0; t < b.threads; ++t) {
    Fiber& f = b.fibers[t];
    f.state = State::Ready;
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = stack_for(t);
    f.context.uc_stack.ss_size = kStackBytes;
    f.context.uc_link = &b.scheduler;
    makecontext(&f.context, fiber_main, 0);
  }
  const int warps = (b.threads + kWarp - 1) / kWarp;
  const bool reverse = reverse_order();
  for (;;) {
    for (int wi = 0; wi < warps; ++wi) {
      const int w0 = (reverse ? warps - 1 - wi : wi) * kWarp, w1 = std::min(w0 + kWarp, b.threads);
      do {
        for (int i = 0; i < w1 - w0; ++i) {
          const int t = reverse ? w1 - 1 - i : w0 + i;
          if (b.fibers[t].state != State::Ready) continue;
          b.current = t;
          set_coordinates(t);
          swapcontext(&b.scheduler, &b.fibers[t].context);
        }
      } while (release_warp(b, w0));
      if (!b.failure.empty()) return false;
    }
    int done = 0;
    for (const Fiber& f : b.fibers) done += f.state == State::Done;
    if (done == b.threads) return true;
    release_block(b);
    if (!b.failure.empty()) return false;
  }
}

// Kernels whose blocks do not loop over the grid (each block owns fixed work): never capped.
bool owns_fixed_work(const char* kernel) {
  return !std::strcmp(kernel, "layer_norm_param_partials_kernel") || !std::strcmp(kernel, "sum_of_squares_chunks_kernel");
}

unsigned max_blocks() {
  static const unsigned cap = [] {
    const char* v = std::getenv("UNIAD_EMU_MAX_BLOCKS");
    return v ? static_cast<unsigned>(std::strtoul(v, nullptr, 10)) : 3u;
  }();
  return cap;
}

}  // namespace

unsigned lane_id() { return static_cast<unsigned>(g_block->current % kWarp); }

void block_barrier() { wait_here(State::AtBlockBarrier, 0); }
void warp_barrier(unsigned mask) { wait_here(State::AtWarpBarrier, mask); }

void shuffle(unsigned mask, const void* value, void* result, std::size_t bytes, int src_lane) {
  Block* b = g_block;
  const int t = b->current, w0 = t - t % kWarp;
  std::memcpy(&b->fibers[t].slot, value, bytes);
  warp_barrier(mask);
  if (src_lane < 0 || src_lane >= kWarp || !((mask >> src_lane) & 1u)) {
    if (b->failure.empty())
      b->failure = where(*b, t) + ": shuffle reads lane " + std::to_string(src_lane) + ", outside the mask";
  } else {
    std::memcpy(result, &b->fibers[w0 + src_lane].slot, bytes);
  }
  warp_barrier(mask);
}

void poison_shared(void* array, std::size_t bytes) {
  Block* b = g_block;
  if (!b || std::find(b->poisoned.begin(), b->poisoned.end(), array) != b->poisoned.end()) return;
  b->poisoned.push_back(array);
  std::memset(array, 0xff, bytes);
}

unsigned vote(unsigned mask, bool predicate) {
  Block* b = g_block;
  const int t = b->current, w0 = t - t % kWarp;
  b->fibers[t].slot = predicate;
  warp_barrier(mask);
  unsigned bits = 0;
  for (int lane = 0; lane < kWarp; ++lane)
    if (((mask >> lane) & 1u) && b->fibers[w0 + lane].slot) bits |= 1u << lane;
  warp_barrier(mask);
  return bits;
}

void* dynamic_shared_bytes() { return g_dynamic_shared.data(); }

void run_grid(const char* kernel, dim3 grid, dim3 block, std::size_t shared_bytes, cudaStream_t,
              void (*body)(void*), void* ctx) {
  const unsigned long long threads = 1ull * block.x * block.y * block.z;
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || threads == 0 || threads > 1024 || block.z > 64 ||
      grid.y > 65535 || grid.z > 65535 || grid.x > 2147483647u) {
    set_error(cudaErrorInvalidConfiguration,
              std::string(kernel) + ": invalid launch configuration (grid " + std::to_string(grid.x) + "x" +
                  std::to_string(grid.y) + "x" + std::to_string(grid.z) + ", block " + std::to_string(block.x) + "x" +
                  std::to_string(block.y) + "x" + std::to_string(block.z) + ")");
    return;
  }
  if (shared_bytes > kSharedLimit) {
    set_error(cudaErrorInvalidValue, std::string(kernel) + ": " + std::to_string(shared_bytes) +
                                         " bytes of dynamic shared memory, above the default 48 KiB");
    return;
  }
  // Poison dynamic shared memory (NaN for floats) so a read before a write shows.
  g_dynamic_shared.assign(shared_bytes + 16, 0xff);
  Block b;
  b.kernel = kernel;
  b.threads = static_cast<int>(threads);
  b.fibers.resize(b.threads);
  b.body = body;
  b.ctx = ctx;
  Block* outer = g_block;
  g_block = &b;
  blockDim = block;
  gridDim = grid;
  // Grid-stride kernels do the same work with fewer blocks: cap x (see README).
  const unsigned gx = owns_fixed_work(kernel) || max_blocks() == 0 ? grid.x : std::min(grid.x, max_blocks());
  if (gx < grid.x) gridDim.x = gx;
  bool ok = true;
  for (unsigned z = 0; z < grid.z && ok; ++z)
    for (unsigned y = 0; y < grid.y && ok; ++y)
      for (unsigned x = 0; x < gx && ok; ++x) {
        blockIdx = {x, y, z};
        b.failure.clear();
        b.poisoned.clear();
        ok = run_block(b) && b.failure.empty();
      }
  g_block = outer;
  {
    std::lock_guard<std::mutex> lock(g_stats.mutex);
    auto& n = g_stats.launches[kernel];
    ++n.first;
    n.second += static_cast<long long>(threads) * gx * grid.y * grid.z;
  }
  if (!ok) set_error(cudaErrorLaunchFailure, b.failure);
}

}  // namespace uniad::emu

// ---------------------------------------------------------------- runtime API
using uniad::emu::g_failure_text;
using uniad::emu::g_last_error;

cudaError_t cudaGetDeviceCount(int* count) {
  *count = 1;
  return cudaSuccess;
}
cudaError_t cudaGetDevice(int* device) {
  *device = 0;
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int device) { return device == 0 ? cudaSuccess : cudaErrorInvalidDevice; }
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (device != 0) return cudaErrorInvalidDevice;
  *prop = {};
  std::snprintf(prop->name, sizeof prop->name, "emulated GPU (tools/cuda_emulator)");
  prop->totalGlobalMem = std::size_t{16} << 30;
  prop->sharedMemPerBlock = 48 * 1024;
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = 1024;
  prop->maxThreadsDim[0] = prop->maxThreadsDim[1] = 1024;
  prop->maxThreadsDim[2] = 64;
  prop->maxGridSize[0] = 2147483647;
  prop->maxGridSize[1] = prop->maxGridSize[2] = 65535;
  prop->major = 9;
  prop->minor = 0;
  prop->multiProcessorCount = 1;
  return cudaSuccess;
}
cudaError_t cudaGetLastError() {
  const cudaError_t e = g_last_error;
  g_last_error = cudaSuccess;
  return e;
}
cudaError_t cudaPeekAtLastError() { return g_last_error; }
const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
  }
  return "cudaErrorUnknown";
}
const char* cudaGetErrorString(cudaError_t error) {
  // The emulator's own diagnosis of the last failed launch, where there is one.
  if (error == cudaErrorLaunchFailure || error == cudaErrorInvalidConfiguration) return g_failure_text.c_str();
  return cudaGetErrorName(error);
}
cudaError_t cudaMalloc(void** ptr, std::size_t bytes) {
  *ptr = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
  if (!*ptr) return g_last_error = cudaErrorMemoryAllocation;
  std::memset(*ptr, 0xff, bytes);  // fresh device memory reads as NaN / -1, so unwritten outputs show
  return cudaSuccess;
}
cudaError_t cudaFree(void* ptr) {
  std::free(ptr);
  return cudaSuccess;
}
cudaError_t cudaMemcpy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind) {
  if (bytes) std::memmove(dst, src, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind, cudaStream_t) {
  return cudaMemcpy(dst, src, bytes, kind);
}
cudaError_t cudaMemsetAsync(void* ptr, int value, std::size_t bytes, cudaStream_t) {
  if (bytes) std::memset(ptr, value, bytes);
  return cudaSuccess;
}
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned) {
  static int token;
  *stream = reinterpret_cast<cudaStream_t>(&token);
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }

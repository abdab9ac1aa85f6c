// Device queries, the stream, error checks and the caching allocator of the CUDA back end.
#include <cuda_runtime.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#include "tensor/cuda/common.cuh"
#include "tensor/strided_loop.h"

namespace uniad {

// ---------------------------------------------------------------- device queries (device.h)
int cuda_device_count() {
  // Asked once: every GPU allocation checks its device index against it, and the set of
  // visible devices does not change while a process runs.
  static const int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      cudaGetLastError();  // clear the sticky "no device" error
      return 0;
    }
    return n;
  }();
  return count;
}

bool cuda_available() { return cuda_device_count() > 0; }

std::string cuda_describe() {
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();
    return std::string("no usable GPU: cudaGetDeviceCount: ") + cudaGetErrorString(err);
  }
  if (count == 0) return "no GPU found";
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  return std::string(prop.name) + " (sm_" + std::to_string(prop.major) + std::to_string(prop.minor) + ", " +
         std::to_string(prop.totalGlobalMem >> 20) + " MiB)";
}

}  // namespace uniad

namespace uniad::cuda {

void check(cudaError_t status, const char* call, const char* op) {
  if (status == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  throw Error(cat(op, ": CUDA error in ", call, ": ", cudaGetErrorName(status), " (", cudaGetErrorString(status),
                  ")"));
}

void check_launch(const char* kernel, const char* op) {
  check(cudaGetLastError(), kernel, op);
  static const bool sync_each = [] {
    const char* v = std::getenv("UNIAD_CUDA_SYNC");
    return v && v[0] == '1';
  }();
  if (sync_each) check(cudaStreamSynchronize(stream()), kernel, op);
}

namespace {

constexpr int kMaxDevices = 16;
std::mutex g_mutex;  // guards the per-device state below
cudaStream_t g_streams[kMaxDevices] = {};

// Cached blocks by rounded size; blocks are never split, so a size class is exact.
struct DeviceCache {
  std::multimap<std::size_t, void*> free_blocks;
  MemoryStats stats;
};
DeviceCache g_caches[kMaxDevices];

// Size classes: 512-byte steps below 1 MiB, then 2 MiB steps (a [64, 196, 272] float32
// activation is 3.3 MiB and rounds to 4 MiB), so repeated shapes hit the cache exactly.
std::size_t rounded_size(std::size_t n) {
  if (n < (1u << 20)) return ((n + 511) / 512) * 512;
  const std::size_t step = 2u << 20;
  return ((n + step - 1) / step) * step;
}

void check_device_index(int device, const char* op) {
  UNIAD_CHECK(device >= 0 && device < kMaxDevices && device < cuda_device_count(), op, ": no GPU with index ",
              device, " (", cuda_device_count(), " visible: ", cuda_describe(), ")");
}

}  // namespace

int current_device() {
  int d = 0;
  UNIAD_CUDA_CHECK(cudaGetDevice(&d), "current_device");
  return d;
}

cudaStream_t stream() {
  const int d = current_device();
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!g_streams[d]) UNIAD_CUDA_CHECK(cudaStreamCreateWithFlags(&g_streams[d], cudaStreamNonBlocking), "stream");
  return g_streams[d];
}

void* allocate(std::size_t nbytes, int device) {
  if (nbytes == 0) return nullptr;
  check_device_index(device, "allocate");
  UNIAD_CUDA_CHECK(cudaSetDevice(device), "allocate");
  const std::size_t size = rounded_size(nbytes);
  std::lock_guard<std::mutex> lock(g_mutex);
  DeviceCache& cache = g_caches[device];
  void* ptr = nullptr;
  auto it = cache.free_blocks.find(size);
  if (it != cache.free_blocks.end()) {
    ptr = it->second;
    cache.free_blocks.erase(it);
    cache.stats.cached -= size;
  } else {
    cudaError_t status = cudaMalloc(&ptr, size);
    if (status == cudaErrorMemoryAllocation && !cache.free_blocks.empty()) {
      // Out of memory with blocks of other sizes cached: give them back and try once more.
      cudaGetLastError();
      for (auto& [bytes, block] : cache.free_blocks) cudaFree(block);
      cache.free_blocks.clear();
      cache.stats.cached = 0;
      status = cudaMalloc(&ptr, size);
    }
    if (status != cudaSuccess) {
      cudaGetLastError();
      throw Error(cat("allocate: cudaMalloc of ", size, " bytes on cuda:", device, " failed: ",
                      cudaGetErrorString(status), " (", cache.stats.in_use >> 20, " MiB in use by tensors)"));
    }
    ++cache.stats.device_allocations;
  }
  cache.stats.in_use += size;
  if (cache.stats.in_use > cache.stats.peak_in_use) cache.stats.peak_in_use = cache.stats.in_use;
  return ptr;
}

void release(void* ptr, std::size_t nbytes, int device) {
  if (!ptr) return;
  const std::size_t size = rounded_size(nbytes);
  std::lock_guard<std::mutex> lock(g_mutex);
  DeviceCache& cache = g_caches[device];
  cache.free_blocks.emplace(size, ptr);
  cache.stats.in_use -= size;
  cache.stats.cached += size;
}

void empty_cache() {
  synchronize();
  std::lock_guard<std::mutex> lock(g_mutex);
  for (DeviceCache& cache : g_caches) {
    for (auto& [bytes, block] : cache.free_blocks) cudaFree(block);
    cache.free_blocks.clear();
    cache.stats.cached = 0;
  }
}

MemoryStats memory_stats(int device) {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_caches[device].stats;
}

void reset_peak_memory(int device) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_caches[device].stats.peak_in_use = g_caches[device].stats.in_use;
}

void synchronize() { UNIAD_CUDA_CHECK(cudaStreamSynchronize(stream()), "synchronize"); }

void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, std::size_t nbytes) {
  if (nbytes == 0) return;
  const Device gpu = dst_device.is_cpu() ? src_device : dst_device;
  UNIAD_CUDA_CHECK(cudaSetDevice(gpu.index), "copy_bytes");
  cudaMemcpyKind kind = cudaMemcpyDeviceToDevice;
  if (dst_device.is_cpu()) kind = src_device.is_cpu() ? cudaMemcpyHostToHost : cudaMemcpyDeviceToHost;
  else if (src_device.is_cpu()) kind = cudaMemcpyHostToDevice;
  UNIAD_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, kind, stream()), "copy_bytes");
  // Host memory is pageable: the host buffer may be freed or read as soon as we return, so
  // every copy that touches it completes before returning.
  if (kind != cudaMemcpyDeviceToDevice) synchronize();
}

StridedIndexer make_indexer(const Tensor& t, const Shape& shape, const char* op) {
  UNIAD_CHECK(static_cast<int>(shape.size()) <= kMaxDims, op, ": tensors of more than ", kMaxDims,
              " axes are not supported on the GPU, got ", shape_str(shape));
  const Shape strides = broadcast_strides(t.shape(), t.strides(), shape);
  StridedIndexer ix;
  ix.ndim = static_cast<int>(shape.size());
  for (int d = 0; d < ix.ndim; ++d) {
    ix.shape[d] = shape[d];
    ix.strides[d] = strides[d];
  }
  return ix;
}

}  // namespace uniad::cuda

// Part of the CUDA emulator (tools/cuda_emulator/README.md), linked into uniad_tensor only.
//
// The back end's caching allocator (tensor/cuda/memory.cu) hands out reused blocks as they
// were left. The link wraps its entry point (-Wl,--wrap, see emulator.cmake) so that every
// block a tensor gets is poisoned, fresh or reused: an op that leaves part of its output
// unwritten then shows NaN (or -1 in integer tensors) instead of an old tensor's values.
#include <cstddef>
#include <cstring>

// uniad::cuda::allocate(std::size_t, int), by its mangled name as the linker sees it.
void* real_allocate(std::size_t nbytes, int device) asm("__real__ZN5uniad4cuda8allocateEmi");
void* poisoned_allocate(std::size_t nbytes, int device) asm("__wrap__ZN5uniad4cuda8allocateEmi");

void* poisoned_allocate(std::size_t nbytes, int device) {
  void* p = real_allocate(nbytes, device);
  if (p) std::memset(p, 0xff, nbytes);
  return p;
}

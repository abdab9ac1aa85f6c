// PLACEHOLDER until the pool kernels land: every function throws.
#include "tensor/cuda/common.cuh"

namespace uniad::cuda {

namespace {
[[noreturn]] void missing(const char* op) { throw Error(cat(op, ": no CUDA kernel yet")); }
}  // namespace

Tensor avg_pool_windows(const Tensor&, const PoolWindows&) { missing("avg_pool2d"); }
Tensor avg_pool_windows_backward(const Tensor&, const Shape&, const PoolWindows&) { missing("avg_pool2d_backward"); }

}  // namespace uniad::cuda

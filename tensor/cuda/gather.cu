// PLACEHOLDER until the gather kernels land: every function throws.
#include "tensor/cuda/common.cuh"

namespace uniad::cuda {

namespace {
[[noreturn]] void missing(const char* op) { throw Error(cat(op, ": no CUDA kernel yet")); }
}  // namespace

Tensor gather_rows(const Tensor&, const Tensor&, const char* op) { missing(op); }
Tensor scatter_add_rows(const Tensor&, const Tensor&, int64_t, const char* op) { missing(op); }

}  // namespace uniad::cuda

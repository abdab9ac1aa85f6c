// PLACEHOLDER until the resize kernels land: every function throws.
#include "tensor/cuda/common.cuh"

namespace uniad::cuda {

namespace {
[[noreturn]] void missing(const char* op) { throw Error(cat(op, ": no CUDA kernel yet")); }
}  // namespace

Tensor resize_bilinear(const Tensor&, int64_t, int64_t, bool) { missing("resize_bilinear"); }
Tensor resize_bilinear_backward(const Tensor&, const Shape&, bool) { missing("resize_bilinear_backward"); }

}  // namespace uniad::cuda

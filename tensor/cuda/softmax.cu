// PLACEHOLDER until the softmax kernels land: every function throws.
#include "tensor/cuda/common.cuh"

namespace uniad::cuda {

namespace {
[[noreturn]] void missing(const char* op) { throw Error(cat(op, ": no CUDA kernel yet")); }
}  // namespace

Tensor softmax_forward(const Tensor&, const Tensor&) { missing("softmax_forward"); }
Tensor softmax_backward(const Tensor&, const Tensor&) { missing("softmax_backward"); }

}  // namespace uniad::cuda

// PLACEHOLDER until the dropout kernels land: every function throws.
#include "tensor/cuda/common.cuh"

namespace uniad::cuda {

namespace {
[[noreturn]] void missing(const char* op) { throw Error(cat(op, ": no CUDA kernel yet")); }
}  // namespace

ops::DropoutResult dropout_forward(const Tensor&, double, uint64_t) { missing("dropout_forward"); }
Tensor dropout_backward(const Tensor&, const ops::DropoutMask&) { missing("dropout_backward"); }
void normal_counter_(Tensor&, double, double, uint64_t) { missing("normal_counter_"); }

}  // namespace uniad::cuda

// PLACEHOLDER until the matmul kernels land: every function throws.
#include "tensor/cuda/common.cuh"

namespace uniad::cuda {

namespace {
[[noreturn]] void missing(const char* op) { throw Error(cat(op, ": no CUDA kernel yet")); }
}  // namespace

Tensor matmul(const Tensor&, const Tensor&) { missing("matmul"); }
void gemm_into(Tensor&, const Tensor&, const Tensor&, bool) { missing("gemm_into"); }

}  // namespace uniad::cuda

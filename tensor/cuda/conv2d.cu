// PLACEHOLDER until the conv2d kernels land: every function throws.
#include "tensor/cuda/common.cuh"

namespace uniad::cuda {

namespace {
[[noreturn]] void missing(const char* op) { throw Error(cat(op, ": no CUDA kernel yet")); }
}  // namespace

Tensor conv2d(const Tensor&, const Tensor&, const Tensor&, const ops::ConvGeometry&) { missing("conv2d"); }
Tensor conv2d_backward_input(const Tensor&, const Tensor&, const ops::ConvGeometry&) {
  missing("conv2d_backward_input");
}
Tensor conv2d_backward_weight(const Tensor&, const Tensor&, const ops::ConvGeometry&) {
  missing("conv2d_backward_weight");
}

}  // namespace uniad::cuda

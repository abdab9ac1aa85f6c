// PLACEHOLDER until the optim kernels land: every function throws.
#include "tensor/cuda/common.cuh"

namespace uniad::cuda {

namespace {
[[noreturn]] void missing(const char* op) { throw Error(cat(op, ": no CUDA kernel yet")); }
}  // namespace

void adamw_update_(Tensor&, const Tensor&, Tensor&, Tensor&, const ops::AdamWUpdate&) { missing("adamw_update_"); }
void sgd_update_(Tensor&, const Tensor&, Tensor&, const ops::SgdUpdate&) { missing("sgd_update_"); }
double sum_of_squares(const Tensor&) { missing("sum_of_squares"); }
void scale_(Tensor&, double) { missing("scale_"); }

}  // namespace uniad::cuda

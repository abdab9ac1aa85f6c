// PLACEHOLDER until the attention kernels land: every function throws.
#include "tensor/cuda/common.cuh"

namespace uniad::cuda {

namespace {
[[noreturn]] void missing(const char* op) { throw Error(cat(op, ": no CUDA kernel yet")); }
}  // namespace

ops::AttentionSaved attention_forward(const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                      const ops::AttentionDropout&, bool) {
  missing("attention_forward");
}
ops::AttentionGrads attention_backward(const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                       const ops::AttentionSaved&, const ops::AttentionDropout&, bool, bool, bool) {
  missing("attention_backward");
}
Tensor attention_dropout_scale(const Shape&, DType, const ops::AttentionDropout&, Device) {
  missing("attention_dropout_scale");
}

}  // namespace uniad::cuda

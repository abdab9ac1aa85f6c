// The CUDA back end's interface (tensor/cuda/backend.h) in builds without CUDA (UNIAD_CUDA=OFF):
// no GPU tensor can be made there (Storage refuses the device), so none of these is reached
// through dispatch; each still names the missing back end if called directly.
#include "tensor/cuda/backend.h"

namespace uniad {

bool cuda_available() { return false; }
int cuda_device_count() { return 0; }
std::string cuda_describe() { return "built without CUDA (UNIAD_CUDA=OFF)"; }

}  // namespace uniad

namespace uniad::cuda {

namespace {
[[noreturn]] void missing(const char* op) {
  throw Error(cat(op, ": this build has no CUDA back end (configure with -DUNIAD_CUDA=ON and nvcc present)"));
}
}  // namespace

void* allocate(std::size_t, int) { missing("allocate"); }
void release(void*, std::size_t, int) {}
void copy_bytes(void*, Device, const void*, Device, std::size_t) { missing("copy_bytes"); }
void synchronize() {}
MemoryStats memory_stats(int) { return {}; }
void reset_peak_memory(int) {}
void empty_cache() {}
void copy_strided(Tensor&, const Tensor&) { missing("copy_"); }

Tensor binary(ops::BinaryOp, const Tensor&, const Tensor&) { missing("binary"); }
Tensor unary(ops::UnaryOp, const Tensor&) { missing("unary"); }
Tensor affine(const Tensor&, double, double) { missing("affine"); }
Tensor pow_scalar(const Tensor&, double) { missing("pow_scalar"); }
Tensor equal(const Tensor&, const Tensor&) { missing("equal"); }
void add_(Tensor&, const Tensor&, double) { missing("add_"); }

void sum_rows(const Tensor&, int64_t, int64_t, Tensor&, double) { missing("sum"); }
void var_rows(const Tensor&, int64_t, int64_t, Tensor&, int64_t) { missing("var"); }
void max_rows(const Tensor&, int64_t, int64_t, Tensor&, Tensor&) { missing("max"); }
Tensor max_backward(const Tensor&, const Tensor&, const Shape&, int64_t, bool) { missing("max_backward"); }

Tensor matmul(const Tensor&, const Tensor&) { missing("matmul"); }
void gemm_into(Tensor&, const Tensor&, const Tensor&, bool) { missing("gemm_into"); }

Tensor softmax_forward(const Tensor&, const Tensor&) { missing("softmax_forward"); }
Tensor softmax_backward(const Tensor&, const Tensor&) { missing("softmax_backward"); }
ops::LayerNormForward layer_norm_forward(const Tensor&, const Tensor&, const Tensor&, const Tensor&, double) {
  missing("layer_norm_forward");
}
ops::LayerNormGrads layer_norm_backward(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                        bool, bool, bool) {
  missing("layer_norm_backward");
}
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

Tensor conv2d(const Tensor&, const Tensor&, const Tensor&, const ops::ConvGeometry&) { missing("conv2d"); }
Tensor conv2d_backward_input(const Tensor&, const Tensor&, const ops::ConvGeometry&) {
  missing("conv2d_backward_input");
}
Tensor conv2d_backward_weight(const Tensor&, const Tensor&, const ops::ConvGeometry&) {
  missing("conv2d_backward_weight");
}
Tensor avg_pool_windows(const Tensor&, const PoolWindows&, const char* op) { missing(op); }
Tensor avg_pool_windows_backward(const Tensor&, const Shape&, const PoolWindows&, const char* op) { missing(op); }
Tensor resize_bilinear(const Tensor&, int64_t, int64_t, bool) { missing("resize_bilinear"); }
Tensor resize_bilinear_backward(const Tensor&, const Shape&, bool) { missing("resize_bilinear_backward"); }

Tensor gather_rows(const Tensor&, const Tensor&, const char* op) { missing(op); }
Tensor scatter_add_rows(const Tensor&, const Tensor&, int64_t, const char* op) { missing(op); }
ops::DropoutResult dropout_forward(const Tensor&, double, uint64_t) { missing("dropout_forward"); }
Tensor dropout_backward(const Tensor&, const ops::DropoutMask&) { missing("dropout_backward"); }
void normal_counter_(Tensor&, double, double, uint64_t) { missing("normal_counter_"); }
void adamw_update_(Tensor&, const Tensor&, Tensor&, Tensor&, const ops::AdamWUpdate&) { missing("adamw_update_"); }
void sgd_update_(Tensor&, const Tensor&, Tensor&, const ops::SgdUpdate&) { missing("sgd_update_"); }
Tensor sum_of_squares_tensor(const Tensor&) { missing("sum_of_squares"); }
void scale_(Tensor&, double) { missing("scale_"); }

}  // namespace uniad::cuda

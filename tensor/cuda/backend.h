#pragma once
// The CUDA back end's interface: what tensor/ calls when a kernel's operands live on a GPU.
//
// Dispatch happens once, at the top of each CPU kernel in tensor/*.cpp:
//     if (cuda::on_gpu(op, a, b)) return cuda::binary(op, a, b);
// so autograd/, nn/ and uniad/ see one Tensor type and never name a device API. Each function
// below mirrors the CPU kernel of the same name (same shapes, dtypes, errors and results up to
// rounding) and is implemented in tensor/cuda/<family>.cu, forward and backward side by side.
// Builds without CUDA link tensor/cuda/no_cuda.cpp instead, where every function throws.
//
// This header is plain C++: no CUDA types cross it, so .cpp files can include it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tensor/attention.h"
#include "tensor/conv2d.h"
#include "tensor/dropout.h"
#include "tensor/elementwise.h"
#include "tensor/layer_norm.h"
#include "tensor/matmul.h"
#include "tensor/optim_kernels.h"
#include "tensor/reduce.h"
#include "tensor/tensor.h"

namespace uniad::cuda {

// True when every defined operand is on a GPU, false when every one is on the CPU; throws
// naming `op` and each operand's device when they are mixed (nothing is moved implicitly).
template <typename... Ts>
bool on_gpu(const char* op, const Ts&... tensors);

// ---- memory.cu: storage, copies, the stream ------------------------------------------------
// Device memory from a caching allocator: freed blocks are kept per size class and reused, so
// a training step makes no cudaMalloc after the first one. All work runs on one stream per
// device, so a block freed by the host can be reused at once by the next kernel in order.
void* allocate(std::size_t nbytes, int device);
void release(void* ptr, std::size_t nbytes, int device);
// Copies bytes between any two devices (host or GPU), waiting for the copy when the
// destination is host memory.
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, std::size_t nbytes);
// Waits for all queued GPU work (timers, benchmarks).
void synchronize();
struct MemoryStats {
  std::size_t in_use = 0;          // bytes held by live tensors
  std::size_t cached = 0;          // bytes kept for reuse
  std::size_t peak_in_use = 0;     // high-water mark of in_use since the last reset
  int64_t device_allocations = 0;  // cudaMalloc calls made (a warm cache makes none)
};
MemoryStats memory_stats(int device = 0);
void reset_peak_memory(int device = 0);
void empty_cache();  // returns every cached block to the driver

// ---- copy.cu: the GPU half of Tensor::copy_ -------------------------------------------------
// dst = src broadcast to dst's shape and converted to dst's dtype; both on the same GPU, any
// strides. (Host/device transfers go through copy_bytes on contiguous buffers.)
void copy_strided(Tensor& dst, const Tensor& src);

// ---- elementwise.cu -------------------------------------------------------------------------
Tensor binary(ops::BinaryOp op, const Tensor& a, const Tensor& b);
Tensor unary(ops::UnaryOp op, const Tensor& x);
Tensor affine(const Tensor& x, double alpha, double beta);
Tensor pow_scalar(const Tensor& x, double exponent);
Tensor equal(const Tensor& a, const Tensor& b);
void add_(Tensor& dst, const Tensor& src, double alpha);

// ---- reduce.cu: row reductions on a contiguous [outer, inner] matrix -------------------------
// tensor/reduce.cpp moves the reduced axes last (a permute and a device copy) and calls these,
// so one kernel per reduction serves every choice of axes. out has `outer` elements (contiguous,
// rows' dtype); inner may be 0 (sum 0, mean and var NaN, as on the CPU) except for max.
// out[r] = sum of row r / divisor (1 for sum, inner for mean).
void sum_rows(const Tensor& rows, int64_t outer, int64_t inner, Tensor& out, double divisor);
// out[r] = sum of squared deviations from the row's mean / max(inner - correction, 0).
void var_rows(const Tensor& rows, int64_t outer, int64_t inner, Tensor& out, int64_t correction);
// values[r] = max of row r, indices[r] (int64) = index of its first maximum (a NaN wins).
void max_rows(const Tensor& rows, int64_t outer, int64_t inner, Tensor& values, Tensor& indices);
// As ops::max_backward, with `axis` already normalized.
Tensor max_backward(const Tensor& grad, const Tensor& indices, const Shape& input_shape, int64_t axis, bool keepdim);

// ---- matmul.cu: cuBLAS --------------------------------------------------------------------
// Same contract as ops::matmul / ops::gemm_into; float32 products run at the precision set by
// ops::set_matmul_precision (FP32, TF32 or BF16 inputs with FP32 accumulation), float64 in FP64.
Tensor matmul(const Tensor& a, const Tensor& b);
void gemm_into(Tensor& out, const Tensor& a, const Tensor& b, bool accumulate);

// ---- softmax.cu, layer_norm.cu, attention.cu --------------------------------------------------
Tensor softmax_forward(const Tensor& x, const Tensor& mask);
Tensor softmax_backward(const Tensor& grad, const Tensor& y);
ops::LayerNormForward layer_norm_forward(const Tensor& x, const Tensor& residual, const Tensor& weight,
                                         const Tensor& bias, double eps);
ops::LayerNormGrads layer_norm_backward(const Tensor& grad, const Tensor& input, const Tensor& mean,
                                        const Tensor& rstd, const Tensor& weight, bool need_input, bool need_weight,
                                        bool need_bias);
ops::AttentionSaved attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                                      const ops::AttentionDropout& dropout, bool keep_probs);
ops::AttentionGrads attention_backward(const Tensor& g, const Tensor& q, const Tensor& k, const Tensor& v,
                                       const ops::AttentionSaved& saved, const ops::AttentionDropout& dropout,
                                       bool need_q, bool need_k, bool need_v);
Tensor attention_dropout_scale(const Shape& shape, DType dtype, const ops::AttentionDropout& dropout, Device device);

// ---- conv2d.cu, pool.cu, resize.cu -------------------------------------------------------------
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const ops::ConvGeometry& g);
Tensor conv2d_backward_input(const Tensor& grad_out, const Tensor& weight, const ops::ConvGeometry& g);
Tensor conv2d_backward_weight(const Tensor& grad_out, const Tensor& x, const ops::ConvGeometry& g);
// Average pooling over arbitrary windows: output (i, j) of each channel averages input rows
// [row_lo[i], row_hi[i]) and columns [col_lo[j], col_hi[j]) (both pool ops reduce to this).
struct PoolWindows {
  std::vector<int64_t> row_lo, row_hi, col_lo, col_hi;
};
// x [N, C, H, W] -> [N, C, Ho, Wo]; `op` names the pooling in errors.
Tensor avg_pool_windows(const Tensor& x, const PoolWindows& w, const char* op);
Tensor avg_pool_windows_backward(const Tensor& grad_out, const Shape& x_shape, const PoolWindows& w, const char* op);
Tensor resize_bilinear(const Tensor& x, int64_t out_h, int64_t out_w, bool align_corners);
Tensor resize_bilinear_backward(const Tensor& grad_out, const Shape& x_shape, bool align_corners);

// ---- gather.cu, dropout.cu, optim.cu ------------------------------------------------------------
// tensor/gather.cpp checks the indices on the host before calling these (the same errors on
// either device). gather_rows reads contiguous int64 `indices` on the weight's GPU;
// scatter_add_rows takes `host_indices`, a contiguous CPU copy, and groups the positions by row
// there, so each output row sums its gradients in the CPU's order: the same bits, no atomics.
Tensor gather_rows(const Tensor& weight, const Tensor& indices, const char* op);
Tensor scatter_add_rows(const Tensor& grad, const Tensor& host_indices, int64_t num_rows, const char* op);
// The mask is not stored on the GPU (mask.keep stays null): backward redraws it from mask.key.
ops::DropoutResult dropout_forward(const Tensor& x, double p, uint64_t key);
Tensor dropout_backward(const Tensor& grad, const ops::DropoutMask& mask);
// t contiguous float32 or float64 (tensor/random.cpp converts other layouts).
void normal_counter_(Tensor& t, double mean, double std, uint64_t key);
// The optimiser kernels round exactly as tensor/optim_kernels.cpp does (same fused and unfused
// steps), and sum_of_squares uses fixed blocks, so results do not depend on the launch.
void adamw_update_(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq, const ops::AdamWUpdate& u);
void sgd_update_(Tensor& param, const Tensor& grad, Tensor& momentum_buffer, const ops::SgdUpdate& u);
Tensor sum_of_squares_tensor(const Tensor& x);  // [] float64 on x's device, not waited for
void scale_(Tensor& x, double factor);

// ------------------------------------------------------------------------------------------------
template <typename... Ts>
bool on_gpu(const char* op, const Ts&... tensors) {
  int cpu = 0, gpu = 0;
  ((tensors.defined() ? (tensors.device().is_cpu() ? ++cpu : ++gpu) : 0), ...);
  if (gpu == 0) return false;
  if (cpu == 0) return true;
  std::string devices;
  // Appended piecewise: GCC 12 warns (-Wrestrict, a false positive) on " " + std::string at -O3.
  ((devices += ' ', devices += tensors.defined() ? tensors.device().str() : std::string("(none)")), ...);
  throw Error(cat(op, ": operands are on different devices:", devices,
                  " (move them with .to(device) first; nothing is moved implicitly)"));
}

}  // namespace uniad::cuda

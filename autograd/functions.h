#pragma once
// Differentiable functions on Variables. Each computes its value with tensor/ kernels and
// records a backward closure right beside the forward (see the .cpp files, one family each):
//   ops_elementwise.cpp  arithmetic with broadcasting, activations
//   ops_reduce.cpp       sum, mean, var, max
//   ops_shape.cpp        views (reshape, permute, slice, expand, ...), concat, split, stack
//   ops_matmul.cpp       matmul, linear
//   ops_nn.cpp           softmax (with additive mask), layer norm (+ residual), dropout, embedding, MSE loss
//   ops_attention.cpp    fused masked scaled-dot-product attention and its composed reference
//   ops_conv.cpp         conv2d, batch norm (inference), avg pool, adaptive avg pool, bilinear resize
// Composite functions (batch norm, MSE, layer_norm_reference) are built from primitives, so their
// gradients follow from the primitives' and need no code of their own.
#include <optional>
#include <vector>

#include "autograd/variable.h"
#include "tensor/random.h"

namespace uniad::ag {

using Axes = std::vector<int64_t>;

// ---- elementwise (NumPy broadcasting) ----
Variable add(const Variable& a, const Variable& b);
Variable sub(const Variable& a, const Variable& b);
Variable mul(const Variable& a, const Variable& b);
Variable div(const Variable& a, const Variable& b);
Variable add_scalar(const Variable& x, double s);
Variable mul_scalar(const Variable& x, double s);
Variable pow(const Variable& x, double exponent);
Variable neg(const Variable& x);
Variable exp(const Variable& x);
Variable log(const Variable& x);
Variable sqrt(const Variable& x);
Variable rsqrt(const Variable& x);
Variable abs(const Variable& x);
Variable relu(const Variable& x);
Variable relu6(const Variable& x);
Variable gelu(const Variable& x);  // exact (erf) form, PyTorch's default
Variable sigmoid(const Variable& x);
Variable silu(const Variable& x);  // x * sigmoid(x), a.k.a. swish
Variable tanh(const Variable& x);

inline Variable operator+(const Variable& a, const Variable& b) { return add(a, b); }
inline Variable operator-(const Variable& a, const Variable& b) { return sub(a, b); }
inline Variable operator*(const Variable& a, const Variable& b) { return mul(a, b); }
inline Variable operator/(const Variable& a, const Variable& b) { return div(a, b); }
inline Variable operator-(const Variable& x) { return neg(x); }

// ---- reductions (axes empty = all) ----
Variable sum(const Variable& x, const Axes& axes = {}, bool keepdim = false);
Variable mean(const Variable& x, const Axes& axes = {}, bool keepdim = false);
Variable var(const Variable& x, const Axes& axes = {}, bool keepdim = false, int64_t correction = 0);
Variable max(const Variable& x, int64_t axis, bool keepdim = false);  // gradient to the first maximum

// ---- shape and views ----
Variable reshape(const Variable& x, const Shape& shape);
Variable permute(const Variable& x, const std::vector<int64_t>& order);
Variable transpose(const Variable& x, int64_t a, int64_t b);
Variable slice(const Variable& x, int64_t axis, int64_t start, int64_t end, int64_t step = 1);
Variable select(const Variable& x, int64_t axis, int64_t index);
Variable expand(const Variable& x, const Shape& shape);
Variable unsqueeze(const Variable& x, int64_t axis);
Variable squeeze(const Variable& x, int64_t axis);
Variable contiguous(const Variable& x);
Variable concat(const std::vector<Variable>& xs, int64_t axis);
std::vector<Variable> split(const Variable& x, const std::vector<int64_t>& sizes, int64_t axis);
Variable stack(const std::vector<Variable>& xs, int64_t axis);

// ---- products ----
Variable matmul(const Variable& a, const Variable& b);  // [..., M, K] x [..., K, N]
// y = x W^T + b with PyTorch's layout: x [..., in], weight [out, in], bias [out] (optional).
Variable linear(const Variable& x, const Variable& weight, const Variable& bias = Variable());
// The same as matmul(x, weight^T) + bias, composed from those two primitives: the reference
// that the fused linear is tested against.
Variable linear_reference(const Variable& x, const Variable& weight, const Variable& bias = Variable());

// ---- neural-network functions ----
// Softmax over the last axis. `mask` (optional) is added to x before normalising and broadcasts
// to x's shape; -inf entries exclude a position. A row whose entries are all -inf gives zeros.
Variable softmax(const Variable& x, const Variable& mask = Variable());
// Layer norm over the last axis; weight and bias [D] are optional. One fused primitive.
Variable layer_norm(const Variable& x, const Variable& weight, const Variable& bias, double eps = 1e-5);
// layer_norm(x + residual, ...) in one kernel pass, without materialising the sum as a graph
// node (the post-norm transformer's residual step). x and residual have the same shape.
Variable add_layer_norm(const Variable& x, const Variable& residual, const Variable& weight, const Variable& bias,
                        double eps = 1e-5);
// The same layer norm composed from primitives: the spec the fused one is tested against.
Variable layer_norm_reference(const Variable& x, const Variable& weight, const Variable& bias, double eps = 1e-5);
// Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p).
// Identity when !training or p == 0. One fused primitive; the mask is drawn in parallel and
// does not depend on the thread count (tensor/dropout.h).
Variable dropout(const Variable& x, double p, bool training, Generator& gen);
// Masked scaled-dot-product attention over N = B*H independent products, one graph node:
//   q [N, L, hd] (pre-scaled by 1/sqrt(hd)), k [N, S, hd], v [N, S, hv], mask [L, S] (optional,
//   additive, shared by all N; -inf excludes a key) -> context = dropout(softmax(q k^T + mask)) v
//   [N, L, hv]. In training with dropout_p > 0 one key is drawn from `gen` (gen.next_u64()) and
//   element i of [N, L, S] is kept when counter_uniform(key, i) >= p (tensor/random.h).
// weights [N, L, S] (softmax before dropout) only when need_weights; the fused op returns them
// as a constant (no gradient flows through them). A mask that requires grad runs the reference.
struct AttentionResult {
  Variable context;  // [N, L, hv]
  Variable weights;  // [N, L, S], undefined unless need_weights
};
AttentionResult scaled_dot_attention(const Variable& q, const Variable& k, const Variable& v, const Variable& mask,
                                     double dropout_p, bool training, Generator& gen, bool need_weights = false);
// The same function composed from matmul, softmax and a multiply by the identical dropout mask:
// the reference the fused op is tested against (its weights are differentiable).
AttentionResult scaled_dot_attention_reference(const Variable& q, const Variable& k, const Variable& v,
                                               const Variable& mask, double dropout_p, bool training, Generator& gen,
                                               bool need_weights = false);
// Rows of `weight` [V, D] picked by int64 `indices` (any shape) -> [..., D].
Variable embedding(const Tensor& indices, const Variable& weight);
// Mean squared error over all elements.
Variable mse_loss(const Variable& prediction, const Tensor& target);

// ---- convolution and images (NCHW) ----
struct Conv2dOptions {
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;  // asymmetric padding allowed
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;  // groups == channels gives a depthwise convolution

  static Conv2dOptions symmetric(int64_t stride, int64_t padding, int64_t dilation = 1, int64_t groups = 1) {
    return {stride, stride, padding, padding, padding, padding, dilation, dilation, groups};
  }
};
// x [N, C, H, W], weight [O, C/groups, kH, kW], bias [O] (optional) -> [N, O, Ho, Wo].
Variable conv2d(const Variable& x, const Variable& weight, const Variable& bias, const Conv2dOptions& opt);
// Inference-mode batch norm with fixed statistics: (x - mean) / sqrt(var + eps) * weight + bias,
// per channel of x [N, C, H, W]; all four vectors are [C].
Variable batch_norm_inference(const Variable& x, const Tensor& running_mean, const Tensor& running_var,
                              const Variable& weight, const Variable& bias, double eps);
// Average pooling, no padding, count over the window. x [N, C, H, W].
Variable avg_pool2d(const Variable& x, int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w);
// Adaptive average pooling to out_h x out_w with PyTorch's bin edges.
Variable adaptive_avg_pool2d(const Variable& x, int64_t out_h, int64_t out_w);
// Bilinear resize of x [N, C, H, W] to [N, C, out_h, out_w], without antialiasing, PyTorch's
// F.interpolate(mode="bilinear", align_corners=...) semantics.
Variable resize_bilinear(const Variable& x, int64_t out_h, int64_t out_w, bool align_corners);

}  // namespace uniad::ag

// Convolution and image ops on NCHW Variables. Each forward calls a tensor/ kernel and records a
// closure that calls the matching backward kernel beside it (tensor/conv2d.h, pool.h, resize.h).
// batch_norm_inference is composed from elementwise primitives and needs no backward of its own.
#include "autograd/functions.h"
#include "tensor/conv2d.h"
#include "tensor/elementwise.h"
#include "tensor/pool.h"
#include "tensor/reduce.h"
#include "tensor/resize.h"

namespace uniad::ag {

namespace {

// The same fields: tensor/ cannot see autograd's option struct.
ops::Conv2dParams to_params(const Conv2dOptions& o) {
  return {.stride_h = o.stride_h,
          .stride_w = o.stride_w,
          .pad_top = o.pad_top,
          .pad_bottom = o.pad_bottom,
          .pad_left = o.pad_left,
          .pad_right = o.pad_right,
          .dilation_h = o.dilation_h,
          .dilation_w = o.dilation_w,
          .groups = o.groups};
}

}  // namespace

Variable conv2d(const Variable& x, const Variable& weight, const Variable& bias, const Conv2dOptions& opt) {
  const ops::Conv2dParams p = to_params(opt);
  const Tensor xv = x.data(), wv = weight.data();
  const bool has_bias = bias.defined();
  Tensor y = ops::conv2d(xv, wv, has_bias ? bias.data() : Tensor(), p);  // [N, O, Ho, Wo]
  const bool need_x = x.requires_grad(), need_w = weight.requires_grad(), need_b = has_bias && bias.requires_grad();
  std::vector<Variable> inputs{x, weight};
  if (has_bias) inputs.push_back(bias);
  // dx needs the weight and dweight needs the input: keep each only when its partner is wanted.
  const Tensor saved_w = need_x ? wv : Tensor(), saved_x = need_w ? xv : Tensor();
  const Shape x_shape = xv.shape(), w_shape = wv.shape();
  return make_result(y, "conv2d", inputs, [=](const Tensor& g) {
    std::vector<Tensor> grads{need_x ? ops::conv2d_backward_input(g, saved_w, x_shape, p) : Tensor(),
                              need_w ? ops::conv2d_backward_weight(g, saved_x, w_shape, p) : Tensor()};
    if (has_bias) grads.push_back(need_b ? ops::sum(g, {0, 2, 3}) : Tensor());  // dL/dbias [O]
    return grads;
  });
}

// y = x * scale + shift with scale = weight / sqrt(var + eps) and shift = bias - mean * scale,
// per channel ([C, 1, 1] broadcasts over H and W). Folding the statistics into two [C] vectors
// first touches x only twice; gradients reach weight and bias through scale and shift.
Variable batch_norm_inference(const Variable& x, const Tensor& running_mean, const Tensor& running_var,
                              const Variable& weight, const Variable& bias, double eps) {
  UNIAD_CHECK(x.dim() == 4, "batch_norm_inference: input must be [N, C, H, W], got ", shape_str(x.shape()));
  const int64_t C = x.size(1);
  auto check_vector = [&](const Tensor& t, const char* name) {
    UNIAD_CHECK(t.shape() == Shape{C}, "batch_norm_inference: ", name, " ", shape_str(t.shape()), " for input ",
                shape_str(x.shape()), " (expected [", C, "])");
  };
  check_vector(running_mean, "running_mean");
  check_vector(running_var, "running_var");
  if (weight.defined()) check_vector(weight.data(), "weight");
  if (bias.defined()) check_vector(bias.data(), "bias");

  const Variable inv_std(ops::unary(ops::UnaryOp::Rsqrt, ops::add_scalar(running_var, eps)));  // [C], constant
  const Variable mean(running_mean);                                                           // [C], constant
  const Variable scale = weight.defined() ? mul(weight, inv_std) : inv_std;                    // [C]
  const Variable mean_scaled = mul(mean, scale);                                               // [C]
  const Variable shift = bias.defined() ? sub(bias, mean_scaled) : neg(mean_scaled);           // [C]
  const Shape per_channel{C, 1, 1};
  return add(mul(x, reshape(scale, per_channel)), reshape(shift, per_channel));
}

Variable avg_pool2d(const Variable& x, int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w) {
  const Shape in_shape = x.shape();
  return make_result(
      ops::avg_pool2d(x.data(), kernel_h, kernel_w, stride_h, stride_w), "avg_pool2d", {x}, [=](const Tensor& g) {
        return std::vector<Tensor>{ops::avg_pool2d_backward(g, in_shape, kernel_h, kernel_w, stride_h, stride_w)};
      });
}

Variable adaptive_avg_pool2d(const Variable& x, int64_t out_h, int64_t out_w) {
  const Shape in_shape = x.shape();
  return make_result(
      ops::adaptive_avg_pool2d(x.data(), out_h, out_w), "adaptive_avg_pool2d", {x},
      [in_shape](const Tensor& g) { return std::vector<Tensor>{ops::adaptive_avg_pool2d_backward(g, in_shape)}; });
}

Variable resize_bilinear(const Variable& x, int64_t out_h, int64_t out_w, bool align_corners) {
  const Shape in_shape = x.shape();
  return make_result(ops::resize_bilinear(x.data(), out_h, out_w, align_corners), "resize_bilinear", {x},
                     [in_shape, align_corners](const Tensor& g) {
                       return std::vector<Tensor>{ops::resize_bilinear_backward(g, in_shape, align_corners)};
                     });
}

}  // namespace uniad::ag

// Neural-network functions: softmax (with additive mask), layer norm (plain and with a residual
// add), dropout, embedding, MSE.
//
// Softmax, layer norm, dropout and embedding are primitives with backward code of their own,
// each wrapping a fused kernel pair (tensor/softmax.h, tensor/layer_norm.h, tensor/dropout.h,
// tensor/gather.h). Layer norm and dropout were composed from elementwise and reduction
// primitives until a profile of the training step showed them as expensive; the composed
// layer norm stays here as layer_norm_reference, the spec the fused one is tested against.
// MSE is composed, so its gradient follows from the primitives'.
#include "autograd/functions.h"
#include "tensor/dropout.h"
#include "tensor/elementwise.h"
#include "tensor/gather.h"
#include "tensor/layer_norm.h"
#include "tensor/reduce.h"
#include "tensor/softmax.h"

namespace uniad::ag {

Variable softmax(const Variable& x, const Variable& mask) {
  if (!mask.defined()) {
    Tensor y = ops::softmax_forward(x.data());  // x's shape [..., N]
    return make_result(y, "softmax", {x}, [y](const Tensor& g) {
      return std::vector<Tensor>{ops::softmax_backward(g, y)};
    });
  }
  // z = x + mask, so dz/dx and dz/dmask are both the identity: the mask's gradient is the
  // logits' gradient summed over the axes along which the mask was broadcast.
  const Shape mask_shape = mask.shape();
  const bool need_mask = mask.requires_grad();
  Tensor y = ops::softmax_forward(x.data(), mask.data());  // x's shape, e.g. [B*H, L, L]
  return make_result(y, "softmax", {x, mask}, [y, mask_shape, need_mask](const Tensor& g) {
    Tensor dx = ops::softmax_backward(g, y);
    return std::vector<Tensor>{dx, need_mask ? ops::sum_to_shape(dx, mask_shape) : Tensor()};
  });
}

namespace {

void check_affine(const Variable& x, const Variable& param, const char* op, const char* name) {
  const int64_t D = x.size(-1);
  UNIAD_CHECK(!param.defined() || param.shape() == Shape{D}, op, ": ", name, " ", shape_str(param.shape()),
              " does not match the normalised axis of input ", shape_str(x.shape()), " (expected [", D, "])");
}

// One node for layer_norm(x + residual) (residual optional). The backward reads the normalised
// input z (x itself without a residual), mean and rstd [..., 1], and the weight; dz goes to x
// and residual alike.
Variable fused_layer_norm(const char* op, const Variable& x, const Variable& residual, const Variable& weight,
                          const Variable& bias, double eps) {
  UNIAD_CHECK(x.dim() >= 1, op, ": needs at least one axis, got a scalar");
  check_affine(x, weight, op, "weight");
  check_affine(x, bias, op, "bias");
  ops::LayerNormForward f = ops::layer_norm_forward(x.data(), residual.defined() ? residual.data() : Tensor(),
                                                    weight.defined() ? weight.data() : Tensor(),
                                                    bias.defined() ? bias.data() : Tensor(), eps);
  const bool with_residual = residual.defined();
  const bool need_input = x.requires_grad() || (with_residual && residual.requires_grad());
  const bool need_weight = weight.requires_grad(), need_bias = bias.requires_grad();
  const Tensor w = weight.defined() ? weight.data() : Tensor();
  std::vector<Variable> inputs{x, weight, bias};
  if (with_residual) inputs.push_back(residual);
  return make_result(f.y, op, inputs,
                     [z = f.input, mean = f.mean, rstd = f.rstd, w, with_residual, need_input, need_weight,
                      need_bias](const Tensor& g) {
                       ops::LayerNormGrads d =
                           ops::layer_norm_backward(g, z, mean, rstd, w, need_input, need_weight, need_bias);
                       std::vector<Tensor> grads{d.input, d.weight, d.bias};
                       if (with_residual) grads.push_back(d.input);
                       return grads;
                     });
}

}  // namespace

Variable layer_norm(const Variable& x, const Variable& weight, const Variable& bias, double eps) {
  return fused_layer_norm("layer_norm", x, Variable(), weight, bias, eps);
}

Variable add_layer_norm(const Variable& x, const Variable& residual, const Variable& weight, const Variable& bias,
                        double eps) {
  UNIAD_CHECK(residual.defined(), "add_layer_norm: undefined residual");
  UNIAD_CHECK(residual.shape() == x.shape(), "add_layer_norm: residual ", shape_str(residual.shape()),
              " and input ", shape_str(x.shape()), " differ; broadcasting is not allowed");
  return fused_layer_norm("add_layer_norm", x, residual, weight, bias, eps);
}

Variable layer_norm_reference(const Variable& x, const Variable& weight, const Variable& bias, double eps) {
  UNIAD_CHECK(x.dim() >= 1, "layer_norm: needs at least one axis, got a scalar");
  check_affine(x, weight, "layer_norm", "weight");
  check_affine(x, bias, "layer_norm", "bias");
  // y = (x - mean) / sqrt(var + eps) with the biased variance (divide by D), as PyTorch.
  // The variance is the mean of the squared centred values, so the mean is computed once.
  Variable centered = sub(x, mean(x, {-1}, true));                // [..., D]
  Variable variance = mean(mul(centered, centered), {-1}, true);  // [..., 1]
  Variable y = mul(centered, rsqrt(add_scalar(variance, eps)));   // [..., D]
  if (weight.defined()) y = mul(y, weight);
  if (bias.defined()) y = add(y, bias);
  return y;
}

Variable dropout(const Variable& x, double p, bool training, Generator& gen) {
  UNIAD_CHECK(p >= 0.0 && p <= 1.0, "dropout: probability ", p, " is outside [0, 1]");
  if (!training || p == 0.0) return x;
  // Everything dropped. Multiplying (rather than returning fresh zeros) keeps x in the graph,
  // so x still receives a (zero) gradient, and draws nothing from the generator.
  if (p == 1.0) return mul_scalar(x, 0.0);
  // keep_i = counter_uniform(key, i) >= p for the row-major index i of x's shape, with one key
  // drawn from the generator per call: the mask depends only on the generator's state, never
  // on x's strides or the number of threads. Kept elements are scaled by 1/(1 - p) so the
  // expected value is unchanged and evaluation needs no rescaling.
  ops::DropoutResult r = ops::dropout_forward(x.data(), p, gen.next_u64());  // y: x's shape
  return make_result(r.y, "dropout", {x}, [mask = std::move(r.mask)](const Tensor& g) {
    return std::vector<Tensor>{ops::dropout_backward(g, mask)};
  });
}

Variable embedding(const Tensor& indices, const Variable& weight) {
  Tensor out = ops::gather_rows(weight.data(), indices, "embedding");  // [..., D]; checks shapes and range
  const int64_t V = weight.size(0);
  return make_result(out, "embedding", {weight}, [indices, V](const Tensor& g) {
    return std::vector<Tensor>{ops::scatter_add_rows(g, indices, V, "embedding backward")};  // [V, D]
  });
}

Variable mse_loss(const Variable& prediction, const Tensor& target) {
  // No broadcasting: a [B, C] prediction against a [C] target is almost always a bug.
  UNIAD_CHECK(prediction.shape() == target.shape(), "mse_loss: prediction ", shape_str(prediction.shape()),
              " and target ", shape_str(target.shape()), " differ; broadcasting is not allowed");
  UNIAD_CHECK(prediction.dtype() == target.dtype(), "mse_loss: prediction is ", dtype_name(prediction.dtype()),
              " but target is ", dtype_name(target.dtype()));
  Variable diff = sub(prediction, Variable(target));  // prediction's shape
  return mean(mul(diff, diff));                       // []
}

}  // namespace uniad::ag

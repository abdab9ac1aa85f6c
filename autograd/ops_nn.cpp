// Neural-network functions: softmax (with additive mask), layer norm, dropout, embedding, MSE.
//
// Only softmax and embedding are primitives with backward code of their own, each wrapping a
// fused kernel pair (tensor/softmax.h, tensor/gather.h). Layer norm, dropout and MSE are
// composed from elementwise and reduction primitives, so their gradients follow from those.
#include "autograd/functions.h"
#include "tensor/elementwise.h"
#include "tensor/gather.h"
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

Variable layer_norm(const Variable& x, const Variable& weight, const Variable& bias, double eps) {
  UNIAD_CHECK(x.dim() >= 1, "layer_norm: needs at least one axis, got a scalar");
  const int64_t D = x.size(-1);
  auto check_affine = [&](const Variable& param, const char* name) {
    UNIAD_CHECK(!param.defined() || param.shape() == Shape{D}, "layer_norm: ", name, " ", shape_str(param.shape()),
                " does not match the normalised axis of input ", shape_str(x.shape()), " (expected [", D, "])");
  };
  check_affine(weight, "weight");
  check_affine(bias, "bias");
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
  // keep ~ Bernoulli(1 - p), drawn in row-major order of x's shape: the mask depends only on
  // the generator's state, never on x's strides or the number of threads. Kept elements are
  // scaled by 1/(1 - p) so the expected value is unchanged and evaluation needs no rescaling.
  Tensor keep = Tensor::empty(x.shape(), x.dtype());  // x's shape
  bernoulli_(keep, 1.0 - p, gen);
  return mul(x, Variable(ops::mul_scalar(keep, 1.0 / (1.0 - p))));
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

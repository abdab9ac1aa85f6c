// Matrix products. Gradients reuse matmul on transposed views, which the GEMM reads in place.
#include "autograd/functions.h"
#include "tensor/elementwise.h"
#include "tensor/matmul.h"
#include "tensor/reduce.h"

namespace uniad::ag {

Variable matmul(const Variable& a, const Variable& b) {
  const Tensor x = a.data(), y = b.data();
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  return make_result(ops::matmul(x, y), "matmul", {a, b}, [x, y, need_a, need_b](const Tensor& g) {
    // out = x y:  dx = g y^T,  dy = x^T g  (summed over broadcast batch axes)
    Tensor ga, gb;
    if (need_a) ga = ops::sum_to_shape(ops::matmul(g, y.transpose(-1, -2)), x.shape());
    if (need_b) {
      if (y.dim() == 2 && x.dim() > 2 && g.is_contiguous() && x.is_contiguous()) {
        // Shared weight: fold the batch into the rows, one GEMM instead of a batched sum.
        const int64_t K = x.size(-1), N = g.size(-1);
        gb = ops::matmul(x.reshape({-1, K}).transpose(0, 1), g.reshape({-1, N}));
      } else {
        gb = ops::sum_to_shape(ops::matmul(x.transpose(-1, -2), g), y.shape());
      }
    }
    return std::vector<Tensor>{ga, gb};
  });
}

Variable linear(const Variable& x, const Variable& weight, const Variable& bias) {
  UNIAD_CHECK(weight.dim() == 2 && x.dim() >= 1 && x.size(-1) == weight.size(1), "linear: input ",
              shape_str(x.shape()), " does not match weight [out, in] ", shape_str(weight.shape()));
  if (bias.defined())
    UNIAD_CHECK(bias.dim() == 1 && bias.size(0) == weight.size(0), "linear: bias ", shape_str(bias.shape()),
                " does not match weight ", shape_str(weight.shape()));
  // One node instead of matmul + add: the bias is written into the output first and the GEMM
  // adds onto it, so the bias costs no pass of its own and no temporary (the composed form is
  // linear_reference, which the tests compare against).
  const int64_t K = x.size(-1), O = weight.size(0);
  const Tensor X = x.data().reshape({-1, K});  // [R, K], R = all leading axes; a view when contiguous
  const Tensor W = weight.data();               // [O, K], possibly a row block of a packed weight
  Tensor Y = Tensor::empty({X.size(0), O}, X.dtype(), X.device());  // [R, O]
  if (bias.defined()) Y.copy_(bias.data().unsqueeze(0).expand({X.size(0), O}));
  ops::gemm_into(Y, X, W.transpose(0, 1), bias.defined());
  Shape out_shape = x.shape();
  out_shape.back() = O;
  const bool need_x = x.requires_grad(), need_w = weight.requires_grad();
  const bool need_b = bias.defined() && bias.requires_grad();
  const Shape x_shape = x.shape();
  return make_result(Y.view(out_shape), "linear", {x, weight, bias},
                     [X, W, x_shape, O, need_x, need_w, need_b](const Tensor& g) {
                       const Tensor G = g.reshape({-1, O});  // [R, O]
                       Tensor gx, gw, gb;
                       if (need_x) gx = ops::matmul(G, W).view(x_shape);      // [R, K] -> x's shape
                       if (need_w) gw = ops::matmul(G.transpose(0, 1), X);    // [O, K]
                       if (need_b) gb = ops::sum(G, {0});                     // [O]
                       return std::vector<Tensor>{gx, gw, gb};
                     });
}

Variable linear_reference(const Variable& x, const Variable& weight, const Variable& bias) {
  Variable y = matmul(x, transpose(weight, 0, 1));
  return bias.defined() ? add(y, bias) : y;
}

}  // namespace uniad::ag

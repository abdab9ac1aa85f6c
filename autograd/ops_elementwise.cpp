// Elementwise arithmetic and activations. Binary ops broadcast; their backward sums each
// gradient back down to its input's shape (ops::sum_to_shape).
#include "autograd/functions.h"
#include "tensor/elementwise.h"
#include "tensor/reduce.h"

namespace uniad::ag {

using ops::UnaryOp;

Variable add(const Variable& a, const Variable& b) {
  const Shape sa = a.shape(), sb = b.shape();
  return make_result(ops::add(a.data(), b.data()), "add", {a, b}, [sa, sb](const Tensor& g) {
    return std::vector<Tensor>{ops::sum_to_shape(g, sa), ops::sum_to_shape(g, sb)};
  });
}

Variable sub(const Variable& a, const Variable& b) {
  const Shape sa = a.shape(), sb = b.shape();
  return make_result(ops::sub(a.data(), b.data()), "sub", {a, b}, [sa, sb](const Tensor& g) {
    return std::vector<Tensor>{ops::sum_to_shape(g, sa), ops::sum_to_shape(ops::unary(UnaryOp::Neg, g), sb)};
  });
}

Variable mul(const Variable& a, const Variable& b) {
  const Tensor x = a.data(), y = b.data();
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  return make_result(ops::mul(x, y), "mul", {a, b}, [x, y, need_a, need_b](const Tensor& g) {
    return std::vector<Tensor>{need_a ? ops::sum_to_shape(ops::mul(g, y), x.shape()) : Tensor(),
                               need_b ? ops::sum_to_shape(ops::mul(g, x), y.shape()) : Tensor()};
  });
}

Variable div(const Variable& a, const Variable& b) {
  const Tensor x = a.data(), y = b.data();
  const bool need_b = b.requires_grad();
  Tensor out = ops::div(x, y);
  return make_result(out, "div", {a, b}, [out, x, y, need_b](const Tensor& g) {
    const Tensor ga = ops::div(g, y);  // d(x/y)/dx = 1/y
    // d(x/y)/dy = -(x/y)/y
    const Tensor gb = need_b ? ops::sum_to_shape(ops::unary(UnaryOp::Neg, ops::mul(ga, out)), y.shape()) : Tensor();
    return std::vector<Tensor>{ops::sum_to_shape(ga, x.shape()), gb};
  });
}

Variable add_scalar(const Variable& x, double s) {
  return make_result(ops::add_scalar(x.data(), s), "add_scalar", {x},
                     [](const Tensor& g) { return std::vector<Tensor>{g}; });
}

Variable mul_scalar(const Variable& x, double s) {
  return make_result(ops::mul_scalar(x.data(), s), "mul_scalar", {x},
                     [s](const Tensor& g) { return std::vector<Tensor>{ops::mul_scalar(g, s)}; });
}

Variable pow(const Variable& x, double exponent) {
  const Tensor v = x.data();
  return make_result(ops::pow_scalar(v, exponent), "pow", {x}, [v, exponent](const Tensor& g) {
    // d x^p / dx = p x^(p-1)
    return std::vector<Tensor>{ops::mul(g, ops::mul_scalar(ops::pow_scalar(v, exponent - 1.0), exponent))};
  });
}

namespace {
// Activations whose derivative is a function of the input: g * d(x).
Variable unary_by_input(const Variable& x, UnaryOp forward, UnaryOp derivative) {
  const Tensor v = x.data();
  return make_result(ops::unary(forward, v), ops::unary_name(forward), {x}, [v, derivative](const Tensor& g) {
    return std::vector<Tensor>{ops::mul(g, ops::unary(derivative, v))};
  });
}
}  // namespace

Variable neg(const Variable& x) {
  return make_result(ops::unary(UnaryOp::Neg, x.data()), "neg", {x},
                     [](const Tensor& g) { return std::vector<Tensor>{ops::unary(UnaryOp::Neg, g)}; });
}

Variable exp(const Variable& x) {
  Tensor out = ops::unary(UnaryOp::Exp, x.data());
  return make_result(out, "exp", {x}, [out](const Tensor& g) { return std::vector<Tensor>{ops::mul(g, out)}; });
}

Variable log(const Variable& x) {
  const Tensor v = x.data();
  return make_result(ops::unary(UnaryOp::Log, v), "log", {x},
                     [v](const Tensor& g) { return std::vector<Tensor>{ops::div(g, v)}; });
}

Variable sqrt(const Variable& x) {
  Tensor out = ops::unary(UnaryOp::Sqrt, x.data());
  return make_result(out, "sqrt", {x}, [out](const Tensor& g) {
    return std::vector<Tensor>{ops::div(ops::mul_scalar(g, 0.5), out)};  // 1 / (2 sqrt x)
  });
}

Variable rsqrt(const Variable& x) {
  const Tensor v = x.data();
  Tensor out = ops::unary(UnaryOp::Rsqrt, v);
  return make_result(out, "rsqrt", {x}, [v, out](const Tensor& g) {
    // d x^(-1/2) / dx = -1/2 x^(-3/2) = -0.5 * out / x
    return std::vector<Tensor>{ops::mul(g, ops::div(ops::mul_scalar(out, -0.5), v))};
  });
}

Variable abs(const Variable& x) { return unary_by_input(x, UnaryOp::Abs, UnaryOp::Sign); }
// relu's gradient passes g where the output is positive (the same positions as x > 0): one
// kernel pass over saved output, instead of building the 0/1 derivative and multiplying.
Variable relu(const Variable& x) {
  Tensor y = ops::unary(UnaryOp::Relu, x.data());
  return make_result(y, "relu", {x}, [y](const Tensor& g) {
    return std::vector<Tensor>{ops::binary(ops::BinaryOp::KeepWherePositive, g, y)};
  });
}
Variable relu6(const Variable& x) { return unary_by_input(x, UnaryOp::Relu6, UnaryOp::Relu6Grad); }
Variable gelu(const Variable& x) { return unary_by_input(x, UnaryOp::Gelu, UnaryOp::GeluGrad); }
Variable silu(const Variable& x) { return unary_by_input(x, UnaryOp::Silu, UnaryOp::SiluGrad); }

Variable sigmoid(const Variable& x) {
  Tensor out = ops::unary(UnaryOp::Sigmoid, x.data());
  return make_result(out, "sigmoid", {x}, [out](const Tensor& g) {
    // s (1 - s)
    return std::vector<Tensor>{ops::mul(g, ops::mul(out, ops::affine(out, -1.0, 1.0)))};
  });
}

Variable tanh(const Variable& x) {
  Tensor out = ops::unary(UnaryOp::Tanh, x.data());
  return make_result(out, "tanh", {x}, [out](const Tensor& g) {
    // 1 - t^2
    return std::vector<Tensor>{ops::mul(g, ops::affine(ops::unary(UnaryOp::Square, out), -1.0, 1.0))};
  });
}

}  // namespace uniad::ag

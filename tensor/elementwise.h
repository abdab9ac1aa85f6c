#pragma once
// Elementwise kernels with NumPy broadcasting. Results are fresh contiguous tensors; inputs may
// be any strided view. Both operands of a binary op must share a floating dtype.
#include "tensor/tensor.h"

namespace uniad::ops {

enum class BinaryOp {
  Add, Sub, Mul, Div, Maximum, Minimum,
  KeepWherePositive,  // a where b > 0, else 0: relu's backward from its output, in one pass
};

enum class UnaryOp {
  Neg, Exp, Log, Sqrt, Rsqrt, Abs, Sign, Square, Reciprocal,
  Relu, Relu6, Gelu, Sigmoid, Silu, Tanh,
  // Derivatives used by backward passes (d op / dx evaluated at x):
  ReluGrad,   // 1 where x > 0
  Relu6Grad,  // 1 where 0 < x < 6
  GeluGrad,   // 0.5 (1 + erf(x / sqrt 2)) + x * phi(x)
  SiluGrad,   // s (1 + x (1 - s)), s = sigmoid(x)
};

const char* unary_name(UnaryOp op);
const char* binary_name(BinaryOp op);  // "add", "sub", ...: the op name errors use

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);
Tensor unary(UnaryOp op, const Tensor& x);

inline Tensor add(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Add, a, b); }
inline Tensor sub(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Sub, a, b); }
inline Tensor mul(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Mul, a, b); }
inline Tensor div(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Div, a, b); }

// y = alpha * x + beta, elementwise (scale and shift by scalars).
Tensor affine(const Tensor& x, double alpha, double beta);
inline Tensor add_scalar(const Tensor& x, double s) { return affine(x, 1.0, s); }
inline Tensor mul_scalar(const Tensor& x, double s) { return affine(x, s, 0.0); }
// y = x ^ exponent.
Tensor pow_scalar(const Tensor& x, double exponent);
// y = 1 where a == b else 0 (used to route max-reduction gradients).
Tensor equal(const Tensor& a, const Tensor& b);

// In place: dst += alpha * src (src broadcast to dst). Used by optimisers and accumulation.
void add_(Tensor& dst, const Tensor& src, double alpha = 1.0);

}  // namespace uniad::ops

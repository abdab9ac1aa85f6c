#include "tensor/elementwise.h"

#include <algorithm>
#include <cmath>

#include "tensor/cuda/backend.h"
#include "tensor/strided_loop.h"

namespace uniad::ops {

namespace {

template <typename T>
T apply_unary(UnaryOp op, T x) {
  constexpr T kInvSqrt2 = T(0.70710678118654752440);
  constexpr T kInvSqrt2Pi = T(0.39894228040143267794);
  switch (op) {
    case UnaryOp::Neg: return -x;
    case UnaryOp::Exp: return std::exp(x);
    case UnaryOp::Log: return std::log(x);
    case UnaryOp::Sqrt: return std::sqrt(x);
    case UnaryOp::Rsqrt: return T(1) / std::sqrt(x);
    case UnaryOp::Abs: return std::abs(x);
    case UnaryOp::Sign: return T((x > 0) - (x < 0));
    case UnaryOp::Square: return x * x;
    case UnaryOp::Reciprocal: return T(1) / x;
    case UnaryOp::Relu: return x > 0 ? x : T(0);
    case UnaryOp::Relu6: return std::min(std::max(x, T(0)), T(6));
    case UnaryOp::Gelu: return T(0.5) * x * (T(1) + std::erf(x * kInvSqrt2));
    case UnaryOp::Sigmoid: return T(1) / (T(1) + std::exp(-x));
    case UnaryOp::Silu: return x / (T(1) + std::exp(-x));
    case UnaryOp::Tanh: return std::tanh(x);
    case UnaryOp::ReluGrad: return x > 0 ? T(1) : T(0);
    case UnaryOp::Relu6Grad: return (x > 0 && x < 6) ? T(1) : T(0);
    case UnaryOp::GeluGrad:
      return T(0.5) * (T(1) + std::erf(x * kInvSqrt2)) + x * kInvSqrt2Pi * std::exp(T(-0.5) * x * x);
    case UnaryOp::SiluGrad: {
      const T s = T(1) / (T(1) + std::exp(-x));
      return s * (T(1) + x * (T(1) - s));
    }
  }
  return x;
}

template <typename T>
T apply_binary(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
    case BinaryOp::Maximum: return std::max(a, b);
    case BinaryOp::Minimum: return std::min(a, b);
    case BinaryOp::KeepWherePositive: return b > 0 ? a : T(0);
  }
  return a;
}

// out[i] = f(x[i]) over any strided x; the op switch is hoisted out of the loop by the
// compiler through the per-op lambda instantiation below.
template <typename T, typename F>
Tensor map_unary(const Tensor& x, F f) {
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  T* o = out.data<T>();
  const T* in = x.data<T>();
  strided_rows<2>(x.shape(), {&out.strides(), &x.strides()}, [&](const int64_t* off, int64_t n, const int64_t* st) {
    T* op = o + off[0];
    const T* ip = in + off[1];
    if (st[1] == 1) {
      for (int64_t i = 0; i < n; ++i) op[i] = f(ip[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) op[i] = f(ip[i * st[1]]);
    }
  });
  return out;
}

template <typename T, typename F>
Tensor map_binary(const Tensor& a, const Tensor& b, const Shape& shape, F f) {
  Tensor out = Tensor::empty(shape, a.dtype());
  const Shape sa = broadcast_strides(a.shape(), a.strides(), shape);
  const Shape sb = broadcast_strides(b.shape(), b.strides(), shape);
  T* o = out.data<T>();
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  strided_rows<3>(shape, {&out.strides(), &sa, &sb}, [&](const int64_t* off, int64_t n, const int64_t* st) {
    T* op = o + off[0];
    const T* ap = pa + off[1];
    const T* bp = pb + off[2];
    if (st[1] == 1 && st[2] == 1) {
      for (int64_t i = 0; i < n; ++i) op[i] = f(ap[i], bp[i]);
    } else if (st[1] == 1 && st[2] == 0) {
      const T bv = bp[0];
      for (int64_t i = 0; i < n; ++i) op[i] = f(ap[i], bv);
    } else {
      for (int64_t i = 0; i < n; ++i) op[i] = f(ap[i * st[1]], bp[i * st[2]]);
    }
  });
  return out;
}

void check_same_float(const Tensor& a, const Tensor& b, const char* op) {
  UNIAD_CHECK(a.defined() && b.defined(), op, ": undefined operand");
  UNIAD_CHECK(a.dtype() == b.dtype(), op, ": dtypes differ: ", dtype_name(a.dtype()), " ", shape_str(a.shape()),
              " vs ", dtype_name(b.dtype()), " ", shape_str(b.shape()));
  UNIAD_CHECK(a.device() == b.device(), op, ": devices differ: ", a.device().str(), " vs ", b.device().str());
}

}  // namespace

const char* binary_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add: return "add";
    case BinaryOp::Sub: return "sub";
    case BinaryOp::Mul: return "mul";
    case BinaryOp::Div: return "div";
    case BinaryOp::Maximum: return "maximum";
    case BinaryOp::Minimum: return "minimum";
    case BinaryOp::KeepWherePositive: return "keep_where_positive";
  }
  return "binary";
}

const char* unary_name(UnaryOp op) {
  static const char* names[] = {"neg",  "exp",     "log",  "sqrt", "rsqrt",     "abs",        "sign",
                                "square", "reciprocal", "relu", "relu6", "gelu", "sigmoid", "silu",
                                "tanh", "relu_grad", "relu6_grad", "gelu_grad", "silu_grad"};
  return names[static_cast<int>(op)];
}

Tensor unary(UnaryOp op, const Tensor& x) {
  UNIAD_CHECK(x.defined(), unary_name(op), ": undefined input");
  if (cuda::on_gpu(unary_name(op), x)) return cuda::unary(op, x);
  return dispatch_float(x.dtype(), unary_name(op), [&](auto tag) {
    using T = decltype(tag);
    // The cheap ops get a loop of their own (vectorised, no per-element switch); the
    // transcendental ones are dominated by their libm call anyway.
    switch (op) {
      case UnaryOp::Relu: return map_unary<T>(x, [](T v) { return v > 0 ? v : T(0); });
      case UnaryOp::Neg: return map_unary<T>(x, [](T v) { return -v; });
      case UnaryOp::Square: return map_unary<T>(x, [](T v) { return v * v; });
      case UnaryOp::Sqrt: return map_unary<T>(x, [](T v) { return std::sqrt(v); });
      case UnaryOp::Rsqrt: return map_unary<T>(x, [](T v) { return T(1) / std::sqrt(v); });
      case UnaryOp::ReluGrad: return map_unary<T>(x, [](T v) { return v > 0 ? T(1) : T(0); });
      default: return map_unary<T>(x, [op](T v) { return apply_unary(op, v); });
    }
  });
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = binary_name(op);
  check_same_float(a, b, name);
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), name);
  if (cuda::on_gpu(name, a, b)) return cuda::binary(op, a, b);
  return dispatch_float(a.dtype(), name, [&](auto tag) {
    using T = decltype(tag);
    switch (op) {  // one instantiation per op keeps the inner loops branch-free and vectorisable
      case BinaryOp::Add: return map_binary<T>(a, b, shape, [](T x, T y) { return x + y; });
      case BinaryOp::Sub: return map_binary<T>(a, b, shape, [](T x, T y) { return x - y; });
      case BinaryOp::Mul: return map_binary<T>(a, b, shape, [](T x, T y) { return x * y; });
      case BinaryOp::Div: return map_binary<T>(a, b, shape, [](T x, T y) { return x / y; });
      case BinaryOp::KeepWherePositive: return map_binary<T>(a, b, shape, [](T x, T y) { return y > 0 ? x : T(0); });
      default: return map_binary<T>(a, b, shape, [op](T x, T y) { return apply_binary(op, x, y); });
    }
  });
}

Tensor affine(const Tensor& x, double alpha, double beta) {
  UNIAD_CHECK(x.defined(), "affine: undefined input");
  if (cuda::on_gpu("affine", x)) return cuda::affine(x, alpha, beta);
  return dispatch_float(x.dtype(), "affine", [&](auto tag) {
    using T = decltype(tag);
    const T a = static_cast<T>(alpha), c = static_cast<T>(beta);
    return map_unary<T>(x, [a, c](T v) { return a * v + c; });
  });
}

Tensor pow_scalar(const Tensor& x, double exponent) {
  UNIAD_CHECK(x.defined(), "pow: undefined input");
  if (cuda::on_gpu("pow", x)) return cuda::pow_scalar(x, exponent);
  return dispatch_float(x.dtype(), "pow", [&](auto tag) {
    using T = decltype(tag);
    const T e = static_cast<T>(exponent);
    if (exponent == 2.0) return map_unary<T>(x, [](T v) { return v * v; });
    return map_unary<T>(x, [e](T v) { return std::pow(v, e); });
  });
}

Tensor equal(const Tensor& a, const Tensor& b) {
  check_same_float(a, b, "equal");
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), "equal");
  if (cuda::on_gpu("equal", a, b)) return cuda::equal(a, b);
  return dispatch_float(a.dtype(), "equal", [&](auto tag) {
    using T = decltype(tag);
    return map_binary<T>(a, b, shape, [](T x, T y) { return x == y ? T(1) : T(0); });
  });
}

void add_(Tensor& dst, const Tensor& src, double alpha) {
  check_same_float(dst, src, "add_");
  UNIAD_CHECK(broadcast_shapes(src.shape(), dst.shape(), "add_") == dst.shape(), "add_: cannot broadcast ",
              shape_str(src.shape()), " into ", shape_str(dst.shape()));
  if (cuda::on_gpu("add_", dst, src)) return cuda::add_(dst, src, alpha);
  dispatch_float(dst.dtype(), "add_", [&](auto tag) {
    using T = decltype(tag);
    const Shape ss = broadcast_strides(src.shape(), src.strides(), dst.shape());
    T* d = dst.data<T>();
    const T* s = src.data<T>();
    const T a = static_cast<T>(alpha);
    strided_rows<2>(dst.shape(), {&dst.strides(), &ss}, [&](const int64_t* off, int64_t n, const int64_t* st) {
      T* dp = d + off[0];
      const T* sp = s + off[1];
      for (int64_t i = 0; i < n; ++i) dp[i * st[0]] += a * sp[i * st[1]];
    });
  });
}

}  // namespace uniad::ops

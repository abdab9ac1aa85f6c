// Elementwise kernels on the GPU: the device half of tensor/elementwise.cpp. One thread per
// output element in a grid-stride loop. Each op is a small functor, and the host switch picks
// one kernel instantiation per op, so no kernel branches on the op per element. The formulas
// are those of apply_unary / apply_binary in tensor/elementwise.cpp, written the same way
// (same order of operations, same NaN behaviour of max/min), so results agree up to the
// rounding of the device's libm.
#include "tensor/cuda/common.cuh"

namespace uniad::cuda {

namespace {

// ---- the ops -------------------------------------------------------------------------------
// std::max(a, b) is (a < b) ? b : a and std::min(a, b) is (b < a) ? b : a: written out so a
// NaN operand propagates exactly as on the CPU.
struct AddOp { template <typename T> __device__ T operator()(T a, T b) const { return a + b; } };
struct SubOp { template <typename T> __device__ T operator()(T a, T b) const { return a - b; } };
struct MulOp { template <typename T> __device__ T operator()(T a, T b) const { return a * b; } };
struct DivOp { template <typename T> __device__ T operator()(T a, T b) const { return a / b; } };
struct MaximumOp { template <typename T> __device__ T operator()(T a, T b) const { return (a < b) ? b : a; } };
struct MinimumOp { template <typename T> __device__ T operator()(T a, T b) const { return (b < a) ? b : a; } };
struct KeepWherePositiveOp {
  template <typename T> __device__ T operator()(T a, T b) const { return b > 0 ? a : T(0); }
};
struct EqualOp { template <typename T> __device__ T operator()(T a, T b) const { return a == b ? T(1) : T(0); } };

// exp, log, sqrt, erf, tanh, fabs and pow below are CUDA's overloads: float in, float out.
constexpr double kInvSqrt2 = 0.70710678118654752440;    // 1 / sqrt(2), for Gelu's normal CDF
constexpr double kInvSqrt2Pi = 0.39894228040143267794;  // 1 / sqrt(2 pi), for its density
template <typename T>
__device__ T sigmoid(T x) { return T(1) / (T(1) + exp(-x)); }

template <ops::UnaryOp Op>
struct UnaryFn {
  template <typename T>
  __device__ T operator()(T x) const {
    using ops::UnaryOp;
    if constexpr (Op == UnaryOp::Neg) return -x;
    else if constexpr (Op == UnaryOp::Exp) return exp(x);
    else if constexpr (Op == UnaryOp::Log) return log(x);
    else if constexpr (Op == UnaryOp::Sqrt) return sqrt(x);
    else if constexpr (Op == UnaryOp::Rsqrt) return T(1) / sqrt(x);  // not rsqrt(): same rounding as the CPU
    else if constexpr (Op == UnaryOp::Abs) return fabs(x);
    else if constexpr (Op == UnaryOp::Sign) return T((x > 0) - (x < 0));
    else if constexpr (Op == UnaryOp::Square) return x * x;
    else if constexpr (Op == UnaryOp::Reciprocal) return T(1) / x;
    else if constexpr (Op == UnaryOp::Relu) return x > 0 ? x : T(0);
    else if constexpr (Op == UnaryOp::Relu6) return MinimumOp()(MaximumOp()(x, T(0)), T(6));
    else if constexpr (Op == UnaryOp::Gelu) return T(0.5) * x * (T(1) + erf(x * T(kInvSqrt2)));
    else if constexpr (Op == UnaryOp::Sigmoid) return sigmoid(x);
    else if constexpr (Op == UnaryOp::Silu) return x / (T(1) + exp(-x));
    else if constexpr (Op == UnaryOp::Tanh) return tanh(x);
    else if constexpr (Op == UnaryOp::ReluGrad) return x > 0 ? T(1) : T(0);
    else if constexpr (Op == UnaryOp::Relu6Grad) return (x > 0 && x < 6) ? T(1) : T(0);
    else if constexpr (Op == UnaryOp::GeluGrad)
      return T(0.5) * (T(1) + erf(x * T(kInvSqrt2))) + x * T(kInvSqrt2Pi) * exp(T(-0.5) * x * x);
    else {
      static_assert(Op == UnaryOp::SiluGrad, "every UnaryOp has a case above");
      const T s = sigmoid(x);
      return s * (T(1) + x * (T(1) - s));
    }
  }
};

template <typename T>
struct AffineFn {
  T alpha, beta;
  __device__ T operator()(T x) const { return alpha * x + beta; }
};
template <typename T>
struct PowFn {
  T exponent;
  __device__ T operator()(T x) const { return pow(x, exponent); }
};

// ---- kernels -------------------------------------------------------------------------------
// out (contiguous, n elements) = f(x) with x read through its view.
template <typename T, typename F>
__global__ void unary_strided_kernel(T* out, const T* x, StridedIndexer x_ix, int64_t n, F f) {
  UNIAD_GRID_LOOP(i, n) { out[i] = f(x[x_ix.offset(i)]); }
}
template <typename T, typename F>
__global__ void unary_contiguous_kernel(T* out, const T* x, int64_t n, F f) {
  UNIAD_GRID_LOOP(i, n) { out[i] = f(x[i]); }
}

// out (contiguous, n elements of the broadcast shape) = f(a, b), each operand read through an
// indexer of the broadcast shape (stride 0 on the axes it is broadcast along).
template <typename T, typename F>
__global__ void binary_strided_kernel(T* out, const T* a, StridedIndexer a_ix, const T* b, StridedIndexer b_ix,
                                      int64_t n, F f) {
  UNIAD_GRID_LOOP(i, n) { out[i] = f(a[a_ix.offset(i)], b[b_ix.offset(i)]); }
}
template <typename T, typename F>
__global__ void binary_contiguous_kernel(T* out, const T* a, const T* b, int64_t n, F f) {
  UNIAD_GRID_LOOP(i, n) { out[i] = f(a[i], b[i]); }
}

// dst[i] += alpha * src[i], both through their views (dst of n elements, src broadcast to it).
template <typename T>
__global__ void add_scaled_strided_kernel(T* dst, StridedIndexer dst_ix, const T* src, StridedIndexer src_ix, T alpha,
                                          int64_t n) {
  UNIAD_GRID_LOOP(i, n) { dst[dst_ix.offset(i)] += alpha * src[src_ix.offset(i)]; }
}
template <typename T>
__global__ void add_scaled_contiguous_kernel(T* dst, const T* src, T alpha, int64_t n) {
  UNIAD_GRID_LOOP(i, n) { dst[i] += alpha * src[i]; }
}

// ---- launchers -----------------------------------------------------------------------------
template <typename T, typename F>
Tensor map_unary(const Tensor& x, F f, const char* op) {
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  const int64_t n = out.numel();
  if (n == 0) return out;
  if (x.is_contiguous()) {
    unary_contiguous_kernel<<<grid_for(n), kThreads, 0, stream()>>>(out.data<T>(), x.data<T>(), n, f);
    check_launch("unary_contiguous_kernel", op);
  } else {
    unary_strided_kernel<<<grid_for(n), kThreads, 0, stream()>>>(out.data<T>(), x.data<T>(), make_indexer(x, op), n,
                                                                 f);
    check_launch("unary_strided_kernel", op);
  }
  return out;
}

template <typename T, typename F>
Tensor map_binary(const Tensor& a, const Tensor& b, F f, const char* op) {
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  Tensor out = Tensor::empty(shape, a.dtype(), a.device());
  const int64_t n = out.numel();
  if (n == 0) return out;
  if (a.shape() == shape && b.shape() == shape && a.is_contiguous() && b.is_contiguous()) {
    binary_contiguous_kernel<<<grid_for(n), kThreads, 0, stream()>>>(out.data<T>(), a.data<T>(), b.data<T>(), n, f);
    check_launch("binary_contiguous_kernel", op);
  } else {
    binary_strided_kernel<<<grid_for(n), kThreads, 0, stream()>>>(
        out.data<T>(), a.data<T>(), make_indexer(a, shape, op), b.data<T>(), make_indexer(b, shape, op), n, f);
    check_launch("binary_strided_kernel", op);
  }
  return out;
}

template <typename T>
Tensor unary_typed(ops::UnaryOp op, const Tensor& x, const char* name) {
  using ops::UnaryOp;
  switch (op) {
    case UnaryOp::Neg: return map_unary<T>(x, UnaryFn<UnaryOp::Neg>(), name);
    case UnaryOp::Exp: return map_unary<T>(x, UnaryFn<UnaryOp::Exp>(), name);
    case UnaryOp::Log: return map_unary<T>(x, UnaryFn<UnaryOp::Log>(), name);
    case UnaryOp::Sqrt: return map_unary<T>(x, UnaryFn<UnaryOp::Sqrt>(), name);
    case UnaryOp::Rsqrt: return map_unary<T>(x, UnaryFn<UnaryOp::Rsqrt>(), name);
    case UnaryOp::Abs: return map_unary<T>(x, UnaryFn<UnaryOp::Abs>(), name);
    case UnaryOp::Sign: return map_unary<T>(x, UnaryFn<UnaryOp::Sign>(), name);
    case UnaryOp::Square: return map_unary<T>(x, UnaryFn<UnaryOp::Square>(), name);
    case UnaryOp::Reciprocal: return map_unary<T>(x, UnaryFn<UnaryOp::Reciprocal>(), name);
    case UnaryOp::Relu: return map_unary<T>(x, UnaryFn<UnaryOp::Relu>(), name);
    case UnaryOp::Relu6: return map_unary<T>(x, UnaryFn<UnaryOp::Relu6>(), name);
    case UnaryOp::Gelu: return map_unary<T>(x, UnaryFn<UnaryOp::Gelu>(), name);
    case UnaryOp::Sigmoid: return map_unary<T>(x, UnaryFn<UnaryOp::Sigmoid>(), name);
    case UnaryOp::Silu: return map_unary<T>(x, UnaryFn<UnaryOp::Silu>(), name);
    case UnaryOp::Tanh: return map_unary<T>(x, UnaryFn<UnaryOp::Tanh>(), name);
    case UnaryOp::ReluGrad: return map_unary<T>(x, UnaryFn<UnaryOp::ReluGrad>(), name);
    case UnaryOp::Relu6Grad: return map_unary<T>(x, UnaryFn<UnaryOp::Relu6Grad>(), name);
    case UnaryOp::GeluGrad: return map_unary<T>(x, UnaryFn<UnaryOp::GeluGrad>(), name);
    case UnaryOp::SiluGrad: return map_unary<T>(x, UnaryFn<UnaryOp::SiluGrad>(), name);
  }
  throw Error(cat(name, ": unknown unary op ", static_cast<int>(op)));
}


template <typename T>
Tensor binary_typed(ops::BinaryOp op, const Tensor& a, const Tensor& b, const char* name) {
  using ops::BinaryOp;
  switch (op) {
    case BinaryOp::Add: return map_binary<T>(a, b, AddOp(), name);
    case BinaryOp::Sub: return map_binary<T>(a, b, SubOp(), name);
    case BinaryOp::Mul: return map_binary<T>(a, b, MulOp(), name);
    case BinaryOp::Div: return map_binary<T>(a, b, DivOp(), name);
    case BinaryOp::Maximum: return map_binary<T>(a, b, MaximumOp(), name);
    case BinaryOp::Minimum: return map_binary<T>(a, b, MinimumOp(), name);
    case BinaryOp::KeepWherePositive: return map_binary<T>(a, b, KeepWherePositiveOp(), name);
  }
  throw Error(cat(name, ": unknown binary op ", static_cast<int>(op)));
}

}  // namespace

// Argument checks (dtypes, devices, broadcastable shapes) ran in tensor/elementwise.cpp.
Tensor binary(ops::BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = ops::binary_name(op);
  return dispatch_float(a.dtype(), name, [&](auto tag) {
    using T = decltype(tag);
    return binary_typed<T>(op, a, b, name);
  });
}

Tensor unary(ops::UnaryOp op, const Tensor& x) {
  const char* name = ops::unary_name(op);
  return dispatch_float(x.dtype(), name, [&](auto tag) {
    using T = decltype(tag);
    return unary_typed<T>(op, x, name);
  });
}

Tensor affine(const Tensor& x, double alpha, double beta) {
  return dispatch_float(x.dtype(), "affine", [&](auto tag) {
    using T = decltype(tag);
    return map_unary<T>(x, AffineFn<T>{static_cast<T>(alpha), static_cast<T>(beta)}, "affine");
  });
}

Tensor pow_scalar(const Tensor& x, double exponent) {
  return dispatch_float(x.dtype(), "pow", [&](auto tag) {
    using T = decltype(tag);
    if (exponent == 2.0) return map_unary<T>(x, UnaryFn<ops::UnaryOp::Square>(), "pow");
    return map_unary<T>(x, PowFn<T>{static_cast<T>(exponent)}, "pow");
  });
}

Tensor equal(const Tensor& a, const Tensor& b) {
  return dispatch_float(a.dtype(), "equal", [&](auto tag) {
    using T = decltype(tag);
    return map_binary<T>(a, b, EqualOp(), "equal");
  });
}

void add_(Tensor& dst, const Tensor& src, double alpha) {
  const int64_t n = dst.numel();
  if (n == 0) return;
  dispatch_float(dst.dtype(), "add_", [&](auto tag) {
    using T = decltype(tag);
    const T a = static_cast<T>(alpha);
    if (dst.is_contiguous() && src.is_contiguous() && src.shape() == dst.shape()) {
      add_scaled_contiguous_kernel<<<grid_for(n), kThreads, 0, stream()>>>(dst.data<T>(), src.data<T>(), a, n);
      check_launch("add_scaled_contiguous_kernel", "add_");
    } else {
      add_scaled_strided_kernel<<<grid_for(n), kThreads, 0, stream()>>>(
          dst.data<T>(), make_indexer(dst, "add_"), src.data<T>(), make_indexer(src, dst.shape(), "add_"), a, n);
      check_launch("add_scaled_strided_kernel", "add_");
    }
  });
}

}  // namespace uniad::cuda

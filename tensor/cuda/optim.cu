// Optimiser updates and gradient-clipping kernels on the GPU; the CPU twins (the spec) are in
// tensor/optim_kernels.cpp, whose comments say which multiply-adds PyTorch fuses.
//
// Rounding. nvcc contracts a * b + c into one fused multiply-add by default (--fmad=true), which
// would round differently from the CPU wherever the CPU deliberately does not fuse. So every
// step below is spelled with a correctly rounded intrinsic: fma_rn where the CPU calls std::fma,
// mul_rn / add_rn / div_rn where it rounds a product, sum or quotient on its own. The compiler
// never contracts the intrinsics, and with them an update gives the CPU's bits.
#include <cmath>

#include "tensor/cuda/common.cuh"

namespace uniad::cuda {

namespace {

__device__ inline float fma_rn(float a, float b, float c) { return __fmaf_rn(a, b, c); }
__device__ inline double fma_rn(double a, double b, double c) { return __fma_rn(a, b, c); }
__device__ inline float mul_rn(float a, float b) { return __fmul_rn(a, b); }
__device__ inline double mul_rn(double a, double b) { return __dmul_rn(a, b); }
__device__ inline float add_rn(float a, float b) { return __fadd_rn(a, b); }
__device__ inline double add_rn(double a, double b) { return __dadd_rn(a, b); }
__device__ inline float div_rn(float a, float b) { return __fdiv_rn(a, b); }
__device__ inline double div_rn(double a, double b) { return __ddiv_rn(a, b); }
__device__ inline float sqrt_rn(float a) { return __fsqrt_rn(a); }
__device__ inline double sqrt_rn(double a) { return __dsqrt_rn(a); }

// AdamW's scalars, formed in double on the host exactly as the CPU kernel forms them, then
// rounded to the element type.
template <typename T>
struct AdamWScalars {
  T decay, beta1, one_minus_beta1, beta2, one_minus_beta2, bias_correction2_sqrt, eps, neg_step_size;
};

template <typename T>
AdamWScalars<T> adamw_scalars(const ops::AdamWUpdate& u) {
  const double bias_correction1 = 1 - std::pow(u.beta1, static_cast<double>(u.step));
  const double bias_correction2 = 1 - std::pow(u.beta2, static_cast<double>(u.step));
  AdamWScalars<T> s;
  s.decay = static_cast<T>(1 - u.lr * u.weight_decay);
  s.beta1 = static_cast<T>(u.beta1);
  s.one_minus_beta1 = static_cast<T>(1 - u.beta1);
  s.beta2 = static_cast<T>(u.beta2);
  s.one_minus_beta2 = static_cast<T>(1 - u.beta2);
  s.bias_correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  s.eps = static_cast<T>(u.eps);
  s.neg_step_size = static_cast<T>(-(u.lr / bias_correction1));
  return s;
}

// One thread per element: p, m, v updated in place; all [n] contiguous.
template <typename T>
__global__ void adamw_update_kernel(T* p, const T* g, T* m, T* v, int64_t n, AdamWScalars<T> s) {
  UNIAD_GRID_LOOP(i, n) {
    const T gi = g[i];
    const T decayed = mul_rn(p[i], s.decay);                                         // param.mul_(1 - lr * wd)
    const T mi = fma_rn(s.one_minus_beta1, gi, mul_rn(m[i], s.beta1));               // exp_avg update
    const T vi = fma_rn(mul_rn(s.one_minus_beta2, gi), gi, mul_rn(v[i], s.beta2));  // exp_avg_sq update
    const T denom = add_rn(div_rn(sqrt_rn(vi), s.bias_correction2_sqrt), s.eps);
    m[i] = mi;
    v[i] = vi;
    p[i] = add_rn(decayed, div_rn(mul_rn(s.neg_step_size, mi), denom));  // addcdiv_(m, denom, -step_size)
  }
}

template <typename T>
struct SgdScalars {
  T wd, mu, one_minus_dampening, neg_lr;
  bool decay, momentum, nesterov, first;
};

// One thread per element: p (and buf with momentum) updated in place; all [n] contiguous.
template <typename T>
__global__ void sgd_update_kernel(T* p, const T* g, T* buf, int64_t n, SgdScalars<T> s) {
  UNIAD_GRID_LOOP(i, n) {
    T d = g[i];
    if (s.decay) d = fma_rn(s.wd, p[i], d);  // d_p.add(param, alpha=wd)
    if (s.momentum) {
      const T b = s.first ? d : fma_rn(s.one_minus_dampening, d, mul_rn(buf[i], s.mu));
      buf[i] = b;
      d = s.nesterov ? fma_rn(s.mu, b, d) : b;
    }
    p[i] = fma_rn(s.neg_lr, d, p[i]);  // param.add_(d_p, alpha=-lr)
  }
}

// ---- sum of squares: fixed chunks, fixed-order reductions ------------------------------------
// Block b sums the squares of elements [b kChunk, (b + 1) kChunk), thread t taking elements
// t, t + kThreads, ... of the chunk (coalesced), then the block's threads are combined by a
// fixed shuffle tree. A second one-block launch sums the partials the same way. The chunks depend
// on n alone, so the result is the same bits on every run and every GPU.
constexpr int64_t kChunk = 8192;

// The sum over the block's threads of `s`, valid in thread 0. blockDim.x == kThreads.
__device__ double block_sum(double s) {
  __shared__ double warp_sums[kThreads / 32];
  for (int offset = 16; offset > 0; offset /= 2) s += __shfl_down_sync(0xffffffffu, s, offset);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) warp_sums[warp] = s;
  __syncthreads();
  if (warp == 0) {
    s = lane < kThreads / 32 ? warp_sums[lane] : 0.0;
    for (int offset = 16; offset > 0; offset /= 2) s += __shfl_down_sync(0xffffffffu, s, offset);
  }
  return s;
}

// partial[b] = sum of x[i]^2 over chunk b, in double. x [n] contiguous, partial [ceil(n / kChunk)].
template <typename T>
__global__ void sum_of_squares_chunks_kernel(const T* x, int64_t n, double* partial) {
  const int64_t begin = static_cast<int64_t>(blockIdx.x) * kChunk;
  const int64_t end = begin + kChunk < n ? begin + kChunk : n;
  double s = 0;
  for (int64_t i = begin + threadIdx.x; i < end; i += kThreads) {
    const double xi = static_cast<double>(x[i]);
    s += xi * xi;
  }
  s = block_sum(s);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// total[0] = sum of partial[0 .. count), one block.
__global__ void sum_partials_kernel(const double* partial, int64_t count, double* total) {
  double s = 0;
  for (int64_t i = threadIdx.x; i < count; i += kThreads) s += partial[i];
  s = block_sum(s);
  if (threadIdx.x == 0) total[0] = s;
}

// x[i] *= f; x [n] contiguous. (A lone product: nothing to contract.)
template <typename T>
__global__ void scale_kernel(T* x, int64_t n, T f) {
  UNIAD_GRID_LOOP(i, n) { x[i] *= f; }
}

}  // namespace

void adamw_update_(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq, const ops::AdamWUpdate& u) {
  const int64_t n = param.numel();
  if (n == 0) return;
  const Tensor g = grad.contiguous();  // a gradient may be a view
  dispatch_float(param.dtype(), "adamw_update_", [&](auto tag) {
    using T = decltype(tag);
    adamw_update_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(param.data<T>(), g.data<T>(), exp_avg.data<T>(),
                                                                   exp_avg_sq.data<T>(), n, adamw_scalars<T>(u));
    check_launch("adamw_update_kernel", "adamw_update_");
  });
}

void sgd_update_(Tensor& param, const Tensor& grad, Tensor& momentum_buffer, const ops::SgdUpdate& u) {
  const int64_t n = param.numel();
  if (n == 0) return;
  const Tensor g = grad.contiguous();
  dispatch_float(param.dtype(), "sgd_update_", [&](auto tag) {
    using T = decltype(tag);
    SgdScalars<T> s;
    s.wd = static_cast<T>(u.weight_decay);
    s.mu = static_cast<T>(u.momentum);
    s.one_minus_dampening = static_cast<T>(1 - u.dampening);
    s.neg_lr = static_cast<T>(-u.lr);
    s.decay = u.weight_decay != 0;
    s.momentum = u.momentum != 0;
    s.nesterov = u.nesterov;
    s.first = u.first;
    T* buf = s.momentum ? momentum_buffer.data<T>() : nullptr;
    sgd_update_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(param.data<T>(), g.data<T>(), buf, n, s);
    check_launch("sgd_update_kernel", "sgd_update_");
  });
}

Tensor sum_of_squares_tensor(const Tensor& x) {
  const Tensor c = x.contiguous();
  return dispatch_float(c.dtype(), "sum_of_squares", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = c.numel();
    if (n == 0) return Tensor::zeros({}, DType::Float64, c.device());
    const int64_t chunks = (n + kChunk - 1) / kChunk;
    Tensor partial = Tensor::empty({chunks}, DType::Float64, c.device());  // [chunks]
    Tensor total = Tensor::empty({}, DType::Float64, c.device());          // []
    sum_of_squares_chunks_kernel<T><<<static_cast<unsigned>(chunks), kThreads, 0, stream()>>>(
        c.data<T>(), n, partial.data<double>());
    check_launch("sum_of_squares_chunks_kernel", "sum_of_squares");
    sum_partials_kernel<<<1, kThreads, 0, stream()>>>(partial.data<double>(), chunks, total.data<double>());
    check_launch("sum_partials_kernel", "sum_of_squares");
    return total;
  });
}

void scale_(Tensor& x, double factor) {
  const int64_t n = x.numel();
  if (n == 0) return;
  dispatch_float(x.dtype(), "scale_", [&](auto tag) {
    using T = decltype(tag);
    scale_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(x.data<T>(), n, static_cast<T>(factor));
    check_launch("scale_kernel", "scale_");
  });
}

}  // namespace uniad::cuda

#include "tensor/optim_kernels.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "tensor/cuda/backend.h"
#include "tensor/strided_loop.h"  // kParallelGrain

namespace uniad::ops {

namespace {

void check_operand(const Tensor& param, const Tensor& t, const char* op, const char* what, bool written) {
  UNIAD_CHECK(t.defined(), op, ": ", what, " is undefined");
  UNIAD_CHECK(t.shape() == param.shape(), op, ": ", what, " ", shape_str(t.shape()), " for a parameter of shape ",
              shape_str(param.shape()));
  UNIAD_CHECK(t.dtype() == param.dtype(), op, ": ", what, " is ", dtype_name(t.dtype()), ", the parameter ",
              dtype_name(param.dtype()));
  UNIAD_CHECK(!written || t.is_contiguous(), op, ": ", what, " ", shape_str(t.shape()),
              " must be contiguous to be updated in place");
}

// How PyTorch rounds. Its in-place ops round each result to float, with two exceptions that
// matter here: add_(x, alpha=a) is computed as fma(a, x, self) (one rounding: the AVX2 kernels
// use an explicit fused multiply-add), and addcmul_(x, y, value=c) as fma(c x, y, self). We
// write those as std::fma. Everything else must stay unfused, but this project compiles with
// GCC's default -ffp-contract=fast, which may fuse any a * b + c it sees. The one such spot,
// (p * decay) + update, therefore forms p * decay as fma(p, decay, -0): a product rounded
// once (adding -0 changes nothing, not even a zero's sign) that the compiler cannot fuse
// into the add. With this the golden test matches PyTorch 1.13 bit for bit.
//
// Each iteration touches element i of every buffer and nothing else, so splitting the loop
// across threads cannot change a bit of the result. The loops stay scalar (std::sqrt may set
// errno, which blocks GCC's vectoriser); five streams of memory per element keep them close
// to memory-bound anyway.
template <typename T>
void adamw_kernel(T* p, const T* g, T* m, T* v, int64_t n, const AdamWUpdate& u) {
  // The scalars exactly as adamw.py forms them in Python (double), then rounded to T.
  const double bias_correction1 = 1 - std::pow(u.beta1, static_cast<double>(u.step));
  const double bias_correction2 = 1 - std::pow(u.beta2, static_cast<double>(u.step));
  const T decay = static_cast<T>(1 - u.lr * u.weight_decay);
  const T beta1 = static_cast<T>(u.beta1), one_minus_beta1 = static_cast<T>(1 - u.beta1);
  const T beta2 = static_cast<T>(u.beta2), one_minus_beta2 = static_cast<T>(1 - u.beta2);
  const T bias_correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  const T eps = static_cast<T>(u.eps);
  const T neg_step_size = static_cast<T>(-(u.lr / bias_correction1));
#pragma omp parallel for schedule(static) if (n >= kParallelGrain)
  for (int64_t i = 0; i < n; ++i) {
    const T gi = g[i];
    const T decayed = std::fma(p[i], decay, T(-0.0));             // param.mul_(1 - lr * wd)
    const T mi = std::fma(one_minus_beta1, gi, m[i] * beta1);      // exp_avg.mul_(b1).add_(g, alpha=1-b1)
    const T vi = std::fma(one_minus_beta2 * gi, gi, v[i] * beta2);  // exp_avg_sq.mul_(b2).addcmul_(g, g, value=1-b2)
    const T denom = std::sqrt(vi) / bias_correction2_sqrt + eps;  // (exp_avg_sq.sqrt() / bc2_sqrt).add_(eps)
    m[i] = mi;
    v[i] = vi;
    p[i] = decayed + neg_step_size * mi / denom;  // param.addcdiv_(exp_avg, denom, value=-step_size)
  }
}

template <typename T>
void sgd_kernel(T* p, const T* g, T* buf, int64_t n, const SgdUpdate& u) {
  const T wd = static_cast<T>(u.weight_decay), mu = static_cast<T>(u.momentum);
  const T one_minus_dampening = static_cast<T>(1 - u.dampening);
  const T neg_lr = static_cast<T>(-u.lr);
  const bool decay = u.weight_decay != 0, momentum = u.momentum != 0;
#pragma omp parallel for schedule(static) if (n >= kParallelGrain)
  for (int64_t i = 0; i < n; ++i) {
    T d = g[i];
    if (decay) d = std::fma(wd, p[i], d);  // d_p = d_p.add(param, alpha=wd)
    if (momentum) {
      // buf = clone(d_p) the first time, else buf.mul_(mu).add_(d_p, alpha=1-dampening)
      const T b = u.first ? d : std::fma(one_minus_dampening, d, buf[i] * mu);
      buf[i] = b;
      d = u.nesterov ? std::fma(mu, b, d) : b;  // d_p.add(buf, alpha=mu) or buf
    }
    p[i] = std::fma(neg_lr, d, p[i]);  // param.add_(d_p, alpha=-lr)
  }
}

}  // namespace

void adamw_update_(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq, const AdamWUpdate& u) {
  const char* op = "adamw_update_";
  UNIAD_CHECK(u.step >= 1, op, ": step must count this update (>= 1), got ", u.step);
  check_operand(param, param, op, "param", true);
  check_operand(param, grad, op, "grad", false);
  check_operand(param, exp_avg, op, "exp_avg", true);
  check_operand(param, exp_avg_sq, op, "exp_avg_sq", true);
  if (cuda::on_gpu(op, param, grad, exp_avg, exp_avg_sq))
    return cuda::adamw_update_(param, grad, exp_avg, exp_avg_sq, u);
  const Tensor g = grad.contiguous();  // a gradient may be a view; reading it once is enough
  dispatch_float(param.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    adamw_kernel<T>(param.data<T>(), g.data<T>(), exp_avg.data<T>(), exp_avg_sq.data<T>(), param.numel(), u);
  });
}

void sgd_update_(Tensor& param, const Tensor& grad, Tensor& momentum_buffer, const SgdUpdate& u) {
  const char* op = "sgd_update_";
  check_operand(param, param, op, "param", true);
  check_operand(param, grad, op, "grad", false);
  if (u.momentum != 0) check_operand(param, momentum_buffer, op, "momentum_buffer", true);
  const Tensor none;  // the buffer is ignored, its device too, without momentum
  if (cuda::on_gpu(op, param, grad, u.momentum != 0 ? momentum_buffer : none))
    return cuda::sgd_update_(param, grad, momentum_buffer, u);
  const Tensor g = grad.contiguous();
  dispatch_float(param.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    T* buf = u.momentum != 0 ? momentum_buffer.data<T>() : nullptr;
    sgd_kernel<T>(param.data<T>(), g.data<T>(), buf, param.numel(), u);
  });
}

Tensor sum_of_squares_tensor(const Tensor& x) {
  if (cuda::on_gpu("sum_of_squares", x)) return cuda::sum_of_squares_tensor(x);
  return Tensor::scalar(sum_of_squares(x), DType::Float64);
}

double sum_of_squares(const Tensor& x) {
  if (cuda::on_gpu("sum_of_squares", x)) return cuda::sum_of_squares_tensor(x).item();
  const Tensor c = x.contiguous();
  return dispatch_float(c.dtype(), "sum_of_squares", [&](auto tag) {
    using T = decltype(tag);
    const T* p = c.data<T>();
    const int64_t n = c.numel();
    // Fixed blocks summed in a fixed order: the same partial sums on 1 thread or 64.
    constexpr int64_t kBlock = 1 << 14;
    const int64_t blocks = (n + kBlock - 1) / kBlock;
    std::vector<double> partial(static_cast<size_t>(blocks), 0.0);
#pragma omp parallel for schedule(static) if (n >= kParallelGrain)
    for (int64_t b = 0; b < blocks; ++b) {
      double s = 0;
      for (int64_t i = b * kBlock, end = std::min(n, i + kBlock); i < end; ++i) s += double(p[i]) * double(p[i]);
      partial[static_cast<size_t>(b)] = s;
    }
    double total = 0;
    for (double s : partial) total += s;
    return total;
  });
}

void scale_(Tensor& x, double factor) {
  UNIAD_CHECK(x.is_contiguous(), "scale_: ", shape_str(x.shape()), " must be contiguous to be scaled in place");
  if (cuda::on_gpu("scale_", x)) return cuda::scale_(x, factor);
  dispatch_float(x.dtype(), "scale_", [&](auto tag) {
    using T = decltype(tag);
    T* p = x.data<T>();
    const T f = static_cast<T>(factor);
    const int64_t n = x.numel();
#pragma omp parallel for schedule(static) if (n >= kParallelGrain)
    for (int64_t i = 0; i < n; ++i) p[i] *= f;
  });
}

}  // namespace uniad::ops

#include "tensor/dropout.h"

#include <algorithm>
#include <cmath>

#include "tensor/cuda/backend.h"
#include "tensor/random.h"
#include "tensor/strided_loop.h"

namespace uniad::ops {

namespace {

// Elements per parallel task: a block's mask bytes fill whole cache lines.
constexpr int64_t kBlock = 4096;

// Runs fn(begin, end) over [0, n) in blocks, spread over OpenMP threads for large n.
template <typename Fn>
void for_blocks(int64_t n, Fn&& fn) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (n >= kParallelGrain)
  for (int64_t k = 0; k < blocks; ++k) fn(k * kBlock, std::min(n, (k + 1) * kBlock));
}

// Elements [begin, end) of the forward pass. Plain pointer and value arguments, so the loop
// (a 64-bit hash, a compare and a multiply per element) vectorises.
template <typename T>
void forward_block(const T* x, T* y, uint8_t* keep, int64_t begin, int64_t end, uint64_t key, uint64_t threshold,
                   T scale) {
#pragma omp simd
  for (int64_t i = begin; i < end; ++i) {
    const uint8_t kept = (counter_random(key, static_cast<uint64_t>(i)) >> 40) >= threshold;
    keep[i] = kept;
    y[i] = x[i] * (kept ? scale : T(0));
  }
}

template <typename T>
void backward_block(const T* g, const uint8_t* keep, T* dx, int64_t begin, int64_t end, T scale) {
#pragma omp simd
  for (int64_t i = begin; i < end; ++i) dx[i] = g[i] * (keep[i] ? scale : T(0));
}

}  // namespace

DropoutResult dropout_forward(const Tensor& x, double p, uint64_t key) {
  UNIAD_CHECK(x.defined(), "dropout: undefined input");
  UNIAD_CHECK(p >= 0.0 && p < 1.0, "dropout: probability ", p, " is outside [0, 1)");
  if (cuda::on_gpu("dropout", x)) return cuda::dropout_forward(x, p, key);
  const Tensor src = x.contiguous();  // row-major, so element i is the stream's index i
  const int64_t n = src.numel();
  auto keep = std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(n));
  // counter_uniform(key, i) = k / 2^24 with k the top 24 bits of counter_random(key, i), so
  // counter_uniform >= p exactly when k >= ceil(p 2^24): an integer test, exact for any double p.
  const uint64_t threshold = static_cast<uint64_t>(std::ceil(p * 0x1.0p24));
  DropoutResult out;
  out.y = dispatch_float(x.dtype(), "dropout", [&](auto tag) {
    using T = decltype(tag);
    const T scale = static_cast<T>(1.0 / (1.0 - p));
    Tensor y = Tensor::empty(x.shape(), x.dtype());  // x's shape
    const T* xp = src.data<T>();
    T* yp = y.data<T>();
    uint8_t* kp = keep->data();
    for_blocks(n, [&](int64_t begin, int64_t end) { forward_block(xp, yp, kp, begin, end, key, threshold, scale); });
    return y;
  });
  out.mask = DropoutMask{x.shape(), p, std::move(keep), key};
  return out;
}

Tensor dropout_backward(const Tensor& grad, const DropoutMask& mask) {
  UNIAD_CHECK(grad.defined(), "dropout_backward: undefined operand");
  const bool gpu = cuda::on_gpu("dropout_backward", grad);  // the GPU redraws the mask from its key
  UNIAD_CHECK(gpu || mask.keep, "dropout_backward: undefined operand");
  UNIAD_CHECK(grad.shape() == mask.shape, "dropout_backward: gradient ", shape_str(grad.shape()),
              " for a mask of shape ", shape_str(mask.shape));
  if (gpu) return cuda::dropout_backward(grad, mask);
  const Tensor g = grad.contiguous();
  const int64_t n = g.numel();
  return dispatch_float(g.dtype(), "dropout_backward", [&](auto tag) {
    using T = decltype(tag);
    const T scale = static_cast<T>(1.0 / (1.0 - mask.p));
    Tensor dx = Tensor::empty(g.shape(), g.dtype());  // the mask's shape
    const T* gp = g.data<T>();
    const uint8_t* kp = mask.keep->data();
    T* dp = dx.data<T>();
    for_blocks(n, [&](int64_t begin, int64_t end) { backward_block(gp, kp, dp, begin, end, scale); });
    return dx;
  });
}

}  // namespace uniad::ops

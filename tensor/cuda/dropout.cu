// Inverted dropout and the counter-based normal fill on the GPU; the CPU twins are in
// tensor/dropout.cpp and tensor/random.cpp. Both draw from counter_random (tensor/random.h,
// compiled for the device too), so element i gets the same random bits on either device.
//
// The forward stores no mask: the backward redraws keep[i] from (key, i), one 64-bit hash per
// element, which costs less than writing and reading a byte mask through memory.
#include <cmath>

#include "tensor/cuda/common.cuh"
#include "tensor/cuda/dropout_mask.cuh"

namespace uniad::cuda {

namespace {

// y[i] = x[i] * (keep[i] ? scale : 0), i row-major over x's shape; x any strided view, y contiguous.
template <typename T>
__global__ void dropout_forward_kernel(const T* x, StridedIndexer x_ix, T* y, int64_t n, uint64_t key,
                                       uint64_t threshold, T scale) {
  UNIAD_GRID_LOOP(i, n) { y[i] = x[x_ix.offset(i)] * (dropout_kept(key, i, threshold) ? scale : T(0)); }
}

// dx[i] = g[i] * (keep[i] ? scale : 0) with keep redrawn from the forward's key.
template <typename T>
__global__ void dropout_backward_kernel(const T* g, StridedIndexer g_ix, T* dx, int64_t n, uint64_t key,
                                        uint64_t threshold, T scale) {
  UNIAD_GRID_LOOP(i, n) { dx[i] = g[g_ix.offset(i)] * (dropout_kept(key, i, threshold) ? scale : T(0)); }
}

// Box-Muller on the counter stream, as tensor/random.cpp's normal_counter_: pair j turns the
// uniforms of elements 2j and 2j + 1 into out[2j] (cos) and out[2j + 1] (sin). out [n] contiguous.
template <typename T>
__global__ void normal_counter_kernel(T* out, int64_t n, double mean, double std, uint64_t key) {
  const int64_t pairs = (n + 1) / 2;
  UNIAD_GRID_LOOP(j, pairs) {
    const uint64_t first = static_cast<uint64_t>(2 * j);
    const double u1 = 1.0 - static_cast<double>(counter_random(key, first) >> 11) * 0x1.0p-53;  // (0, 1]
    const double u2 = static_cast<double>(counter_random(key, first + 1) >> 11) * 0x1.0p-53;
    const double r = sqrt(-2.0 * log(u1)), angle = 2.0 * M_PI * u2;
    out[2 * j] = static_cast<T>(mean + std * r * cos(angle));
    if (2 * j + 1 < n) out[2 * j + 1] = static_cast<T>(mean + std * r * sin(angle));
  }
}

}  // namespace

ops::DropoutResult dropout_forward(const Tensor& x, double p, uint64_t key) {
  const int64_t n = x.numel();
  ops::DropoutResult out;
  out.y = dispatch_float(x.dtype(), "dropout", [&](auto tag) {
    using T = decltype(tag);
    const T scale = static_cast<T>(1.0 / (1.0 - p));
    Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());  // x's shape
    if (n == 0) return y;
    dropout_forward_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(
        x.data<T>(), make_indexer(x, "dropout"), y.data<T>(), n, key, dropout_keep_threshold(p), scale);
    check_launch("dropout_forward_kernel", "dropout");
    return y;
  });
  out.mask = ops::DropoutMask{x.shape(), p, nullptr, key};
  return out;
}

Tensor dropout_backward(const Tensor& grad, const ops::DropoutMask& mask) {
  const int64_t n = grad.numel();
  return dispatch_float(grad.dtype(), "dropout_backward", [&](auto tag) {
    using T = decltype(tag);
    const T scale = static_cast<T>(1.0 / (1.0 - mask.p));
    Tensor dx = Tensor::empty(grad.shape(), grad.dtype(), grad.device());  // the mask's shape
    if (n == 0) return dx;
    dropout_backward_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(
        grad.data<T>(), make_indexer(grad, "dropout_backward"), dx.data<T>(), n, mask.key, dropout_keep_threshold(mask.p),
        scale);
    check_launch("dropout_backward_kernel", "dropout_backward");
    return dx;
  });
}

void normal_counter_(Tensor& t, double mean, double std, uint64_t key) {
  const int64_t n = t.numel();
  if (n == 0) return;
  dispatch_float(t.dtype(), "normal_counter_", [&](auto tag) {
    using T = decltype(tag);
    normal_counter_kernel<T><<<grid_for((n + 1) / 2), kThreads, 0, stream()>>>(t.data<T>(), n, mean, std, key);
    check_launch("normal_counter_kernel", "normal_counter_");
  });
}

}  // namespace uniad::cuda

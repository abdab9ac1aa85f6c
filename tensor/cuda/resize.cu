// Bilinear resize on the GPU, forward and backward (tensor/resize.h has the semantics).
//
//   x [P, H, W] (P = N * C planes) -> y [P, Ho, Wo]
//
// Each axis's taps (two source indices and a blend weight per output) come from
// ops::bilinear_axis_taps, the function the CPU kernels use, and are uploaded once per call, so
// both devices blend the same inputs with the same weights. Forward: one thread per output.
// Backward: one thread per input element gathers the outputs whose taps read it (instead of
// scattering with atomics), in a fixed order, so the gradient is the same on every run. The
// outputs reading input row h form a contiguous range, found on the host per row and column.
#include <algorithm>
#include <vector>

#include "tensor/cuda/common.cuh"
#include "tensor/resize.h"

namespace uniad::cuda {

namespace {

// One axis on the device: output d blends i0[d] and i1[d] with weights 1 - t[d] and t[d];
// input index h is read only by outputs in [first[h], last[h]).
struct DeviceTaps {
  const int64_t *i0, *i1, *first, *last;
  const double* t;
};

// Both axes' taps on the device; the tensors own the memory.
struct TapTables {
  Tensor indices, weights;  // int64 [i0, i1, first, last] per axis, float64 [t] per axis
  DeviceTaps rows, cols;
};

TapTables upload(int64_t H, int64_t W, int64_t Ho, int64_t Wo, bool align_corners, Device device) {
  const ops::BilinearTaps axes[2] = {ops::bilinear_axis_taps(H, Ho, align_corners),
                                     ops::bilinear_axis_taps(W, Wo, align_corners)};
  const int64_t in_sizes[2] = {H, W};
  std::vector<int64_t> indices;
  std::vector<double> weights;
  for (int a = 0; a < 2; ++a) {
    const ops::BilinearTaps& taps = axes[a];
    const int64_t out = static_cast<int64_t>(taps.i0.size()), in = in_sizes[a];
    std::vector<int64_t> first(in, out), last(in, 0);
    for (int64_t d = 0; d < out; ++d)
      for (int64_t i : {taps.i0[d], taps.i1[d]}) {
        first[i] = std::min(first[i], d);
        last[i] = std::max(last[i], d + 1);
      }
    for (int64_t h = 0; h < in; ++h)
      if (first[h] >= last[h]) first[h] = last[h] = 0;  // read by no output
    const std::vector<int64_t>* parts[] = {&taps.i0, &taps.i1, &first, &last};
    for (const std::vector<int64_t>* part : parts) indices.insert(indices.end(), part->begin(), part->end());
    weights.insert(weights.end(), taps.t.begin(), taps.t.end());
  }
  TapTables t;
  t.indices = Tensor::from_indices(indices, {static_cast<int64_t>(indices.size())}).to(device);
  t.weights = Tensor::from_vector(weights, {static_cast<int64_t>(weights.size())}, DType::Float64).to(device);
  const int64_t* ix = t.indices.data<int64_t>();
  const double* w = t.weights.data<double>();
  t.rows = {ix, ix + Ho, ix + 2 * Ho, ix + 2 * Ho + H, w};
  ix += 2 * Ho + 2 * H;
  t.cols = {ix, ix + Wo, ix + 2 * Wo, ix + 2 * Wo + W, w + Ho};
  return t;
}

// y [P, Ho, Wo] from x [P, H, W]: the same arithmetic, in the same order, as the CPU kernel.
template <typename T>
__global__ void resize_bilinear_forward_kernel(const T* x, T* y, DeviceTaps rows, DeviceTaps cols, int64_t planes,
                                               int64_t H, int64_t W, int64_t Ho, int64_t Wo) {
  UNIAD_GRID_LOOP(idx, planes * Ho * Wo) {
    const int64_t j = idx % Wo, i = (idx / Wo) % Ho, p = idx / (Wo * Ho);
    const T* top = x + (p * H + rows.i0[i]) * W;  // the two source rows
    const T* bottom = x + (p * H + rows.i1[i]) * W;
    const T th = static_cast<T>(rows.t[i]), tw = static_cast<T>(cols.t[j]);
    const int64_t w0 = cols.i0[j], w1 = cols.i1[j];
    const T upper = (1 - tw) * top[w0] + tw * top[w1];
    const T lower = (1 - tw) * bottom[w0] + tw * bottom[w1];
    y[idx] = (1 - th) * upper + th * lower;
  }
}

// The weight with which output d's blend along one axis reads input index h: 1 - t from its
// first tap, t from its second (both when they coincide at the last input).
template <typename T>
__device__ T tap_weight(const DeviceTaps& a, int64_t d, int64_t h) {
  const T t = static_cast<T>(a.t[d]);
  return (a.i0[d] == h ? 1 - t : T(0)) + (a.i1[d] == h ? t : T(0));
}

// dx [P, H, W] from dy [P, Ho, Wo]: one thread per input element, adding each reading output's
// gradient times its row and column weights, outputs in row-major order.
template <typename T>
__global__ void resize_bilinear_backward_kernel(const T* dy, T* dx, DeviceTaps rows, DeviceTaps cols, int64_t planes,
                                                int64_t H, int64_t W, int64_t Ho, int64_t Wo) {
  UNIAD_GRID_LOOP(idx, planes * H * W) {
    const int64_t w = idx % W, h = (idx / W) % H, p = idx / (W * H);
    const T* dyp = dy + p * Ho * Wo;  // [Ho, Wo]
    T acc = 0;
    for (int64_t i = rows.first[h]; i < rows.last[h]; ++i) {
      const T wr = tap_weight<T>(rows, i, h);
      for (int64_t j = cols.first[w]; j < cols.last[w]; ++j) acc += tap_weight<T>(cols, j, w) * (wr * dyp[i * Wo + j]);
    }
    dx[idx] = acc;
  }
}

}  // namespace

Tensor resize_bilinear(const Tensor& x_in, int64_t out_h, int64_t out_w, bool align_corners) {
  const Tensor x = x_in.contiguous();  // [N, C, H, W]
  const int64_t H = x.size(2), W = x.size(3);
  Tensor y = Tensor::empty({x.size(0), x.size(1), out_h, out_w}, x.dtype(), x.device());  // [N, C, Ho, Wo]
  if (y.numel() == 0) return y;
  const TapTables taps = upload(H, W, out_h, out_w, align_corners, x.device());
  dispatch_float(x.dtype(), "resize_bilinear", [&](auto tag) {
    using T = decltype(tag);
    resize_bilinear_forward_kernel<T><<<grid_for(y.numel()), kThreads, 0, stream()>>>(
        x.data<T>(), y.data<T>(), taps.rows, taps.cols, x.size(0) * x.size(1), H, W, out_h, out_w);
    check_launch("resize_bilinear_forward_kernel", "resize_bilinear");
  });
  return y;
}

Tensor resize_bilinear_backward(const Tensor& grad_out, const Shape& x_shape, bool align_corners) {
  const Tensor dy = grad_out.contiguous();  // [N, C, Ho, Wo]
  const int64_t H = x_shape[2], W = x_shape[3], Ho = dy.size(2), Wo = dy.size(3);
  Tensor dx = Tensor::empty(x_shape, dy.dtype(), dy.device());  // [N, C, H, W]
  if (dx.numel() == 0) return dx;
  const TapTables taps = upload(H, W, Ho, Wo, align_corners, dy.device());
  dispatch_float(dy.dtype(), "resize_bilinear backward", [&](auto tag) {
    using T = decltype(tag);
    resize_bilinear_backward_kernel<T><<<grid_for(dx.numel()), kThreads, 0, stream()>>>(
        dy.data<T>(), dx.data<T>(), taps.rows, taps.cols, x_shape[0] * x_shape[1], H, W, Ho, Wo);
    check_launch("resize_bilinear_backward_kernel", "resize_bilinear backward");
  });
  return dx;
}

}  // namespace uniad::cuda

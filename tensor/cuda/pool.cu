// Average pooling over arbitrary rectangular windows on the GPU. tensor/pool.cpp works out the
// windows of avg_pool2d and adaptive_avg_pool2d on the host; both reach these two kernels.
//
//   x [P, H, W] (P = N * C planes) -> y [P, Ho, Wo]: y[p, i, j] is the mean of
//   x[p, row_lo[i] : row_hi[i], col_lo[j] : col_hi[j]]
//
// Forward: one thread per output, summing in double like the CPU kernel. Backward: adaptive
// windows overlap when the sizes do not divide, so instead of scattering (which would need
// atomics and change the sum order from run to run) each input element gathers the shares of
// the windows that cover it. Those windows are found through per-row and per-column cover
// ranges computed on the host.
#include <algorithm>
#include <vector>

#include "tensor/cuda/common.cuh"

namespace uniad::cuda {

namespace {

// Device pointers into one uploaded int64 table. Along rows: windows i in [0, Ho) span
// [row_lo[i], row_hi[i]); input row h is covered only by windows in [row_first[h], row_last[h]).
// Columns likewise.
struct DeviceWindows {
  const int64_t *row_lo, *row_hi, *col_lo, *col_hi;
  const int64_t *row_first, *row_last, *col_first, *col_last;
};

// The windows and their cover ranges on the device; `table` owns the memory.
struct WindowTable {
  Tensor table;
  DeviceWindows d;
};

// first[h], last[h]: the range of windows containing index h ([0, 0) when none does).
void cover_ranges(const std::vector<int64_t>& lo, const std::vector<int64_t>& hi, int64_t size,
                  std::vector<int64_t>& first, std::vector<int64_t>& last) {
  const int64_t windows = static_cast<int64_t>(lo.size());
  first.assign(size, windows);
  last.assign(size, 0);
  for (int64_t i = 0; i < windows; ++i)
    for (int64_t h = std::max<int64_t>(lo[i], 0); h < std::min(hi[i], size); ++h) {
      first[h] = std::min(first[h], i);
      last[h] = std::max(last[h], i + 1);
    }
  for (int64_t h = 0; h < size; ++h)
    if (first[h] >= last[h]) first[h] = last[h] = 0;
}

WindowTable upload(const PoolWindows& w, int64_t H, int64_t W, Device device) {
  std::vector<int64_t> row_first, row_last, col_first, col_last;
  cover_ranges(w.row_lo, w.row_hi, H, row_first, row_last);
  cover_ranges(w.col_lo, w.col_hi, W, col_first, col_last);
  const std::vector<const std::vector<int64_t>*> parts = {&w.row_lo,   &w.row_hi,    &w.col_lo,   &w.col_hi,
                                                          &row_first, &row_last,    &col_first,  &col_last};
  std::vector<int64_t> flat;
  for (const auto* part : parts) flat.insert(flat.end(), part->begin(), part->end());
  WindowTable t;
  t.table = Tensor::from_indices(flat, {static_cast<int64_t>(flat.size())}).to(device);
  const int64_t* p = t.table.data<int64_t>();
  const int64_t* starts[8];
  for (int k = 0; k < 8; ++k) {
    starts[k] = p;
    p += parts[k]->size();
  }
  t.d = {starts[0], starts[1], starts[2], starts[3], starts[4], starts[5], starts[6], starts[7]};
  return t;
}

// y [P, Ho, Wo] from x [P, H, W]: one thread per output.
template <typename T>
__global__ void avg_pool_forward_kernel(const T* x, T* y, DeviceWindows w, int64_t planes, int64_t H, int64_t W,
                                        int64_t Ho, int64_t Wo) {
  UNIAD_GRID_LOOP(idx, planes * Ho * Wo) {
    const int64_t j = idx % Wo, i = (idx / Wo) % Ho, p = idx / (Wo * Ho);
    const T* xp = x + p * H * W;  // [H, W]
    double sum = 0;               // in double, like the CPU kernel: a global pool adds many values
    for (int64_t h = w.row_lo[i]; h < w.row_hi[i]; ++h)
      for (int64_t c = w.col_lo[j]; c < w.col_hi[j]; ++c) sum += xp[h * W + c];
    const int64_t area = (w.row_hi[i] - w.row_lo[i]) * (w.col_hi[j] - w.col_lo[j]);
    y[idx] = static_cast<T>(sum / static_cast<double>(area));
  }
}

// dx [P, H, W] from dy [P, Ho, Wo]: one thread per input element, adding dy / area of every
// window that contains it, in window order.
template <typename T>
__global__ void avg_pool_backward_kernel(const T* dy, T* dx, DeviceWindows w, int64_t planes, int64_t H, int64_t W,
                                         int64_t Ho, int64_t Wo) {
  UNIAD_GRID_LOOP(idx, planes * H * W) {
    const int64_t c = idx % W, h = (idx / W) % H, p = idx / (W * H);
    const T* dyp = dy + p * Ho * Wo;  // [Ho, Wo]
    T acc = 0;
    for (int64_t i = w.row_first[h]; i < w.row_last[h]; ++i) {
      if (h < w.row_lo[i] || h >= w.row_hi[i]) continue;
      for (int64_t j = w.col_first[c]; j < w.col_last[c]; ++j) {
        if (c < w.col_lo[j] || c >= w.col_hi[j]) continue;
        const int64_t area = (w.row_hi[i] - w.row_lo[i]) * (w.col_hi[j] - w.col_lo[j]);
        acc += dyp[i * Wo + j] / static_cast<T>(area);
      }
    }
    dx[idx] = acc;
  }
}

}  // namespace

Tensor avg_pool_windows(const Tensor& x_in, const PoolWindows& w, const char* op) {
  const Tensor x = x_in.contiguous();  // [N, C, H, W]
  const int64_t H = x.size(2), W = x.size(3);
  const int64_t Ho = static_cast<int64_t>(w.row_lo.size()), Wo = static_cast<int64_t>(w.col_lo.size());
  Tensor y = Tensor::empty({x.size(0), x.size(1), Ho, Wo}, x.dtype(), x.device());  // [N, C, Ho, Wo]
  if (y.numel() == 0) return y;
  const WindowTable t = upload(w, H, W, x.device());
  dispatch_float(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    avg_pool_forward_kernel<T><<<grid_for(y.numel()), kThreads, 0, stream()>>>(x.data<T>(), y.data<T>(), t.d,
                                                                               x.size(0) * x.size(1), H, W, Ho, Wo);
    check_launch("avg_pool_forward_kernel", op);
  });
  return y;
}

Tensor avg_pool_windows_backward(const Tensor& grad_out, const Shape& x_shape, const PoolWindows& w, const char* op) {
  const Tensor dy = grad_out.contiguous();  // [N, C, Ho, Wo]
  const int64_t H = x_shape[2], W = x_shape[3];
  const int64_t Ho = static_cast<int64_t>(w.row_lo.size()), Wo = static_cast<int64_t>(w.col_lo.size());
  Tensor dx = Tensor::empty(x_shape, dy.dtype(), dy.device());  // [N, C, H, W]
  if (dx.numel() == 0) return dx;
  const WindowTable t = upload(w, H, W, dy.device());
  dispatch_float(dy.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    avg_pool_backward_kernel<T><<<grid_for(dx.numel()), kThreads, 0, stream()>>>(dy.data<T>(), dx.data<T>(), t.d,
                                                                                 x_shape[0] * x_shape[1], H, W, Ho, Wo);
    check_launch("avg_pool_backward_kernel", op);
  });
  return dx;
}

}  // namespace uniad::cuda

// 2-D convolution on the GPU, forward and both backwards (tensor/conv2d.h names the letters;
// conv2d_reference there is the spec). With K = Cg*kH*kW (one output pixel's inputs in one
// group) and L = Ho*Wo (output pixels), for a chunk of n images and each group:
//
//   col  [n, C*kH*kW, L] = im2col(x)                  one thread per entry, 0 in the padding
//   y    [Og, L]         = w_g [Og, K] x col_g [K, L]            forward, batched over images
//   dcol [K, L]          = w_g^T [K, Og] x dy_g [Og, L]          backward input, batched, then
//   dx                   = col2im(dcol)               one thread per input pixel gathering the
//                                                     entries copied from it: no atomics, and
//                                                     the same sum order on every run
//   dw_g [Og, K]        += dy_g [Og, n*L] x col_g^T [n*L, K]     backward weight: dy and col
//                         laid out with the images inside each row, so one GEMM sums the images
//
// A 1x1 kernel with unit stride and no padding needs no unrolling: x itself is the forward's
// col matrix, and the backward-input GEMM writes dx directly. Depthwise convolutions
// (G == C == O) would shrink each group's GEMM to one row, so they run direct kernels instead.
#include <algorithm>

#include "tensor/cuda/cublas.cuh"

namespace uniad::cuda {

namespace {

using ops::ConvGeometry;

// Caps the im2col buffer: images are processed in chunks whose col matrices fit in it.
constexpr int64_t kColBudgetBytes = int64_t{256} << 20;

bool is_pointwise(const ConvGeometry& g) {
  const ops::Conv2dParams& p = g.p;
  return g.kH == 1 && g.kW == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 && p.pad_bottom == 0 &&
         p.pad_left == 0 && p.pad_right == 0;
}

int64_t images_per_chunk(const ConvGeometry& g, int64_t element_bytes) {
  const int64_t per_image = std::max<int64_t>(1, g.C * g.kH * g.kW * g.Ho * g.Wo * element_bytes);
  return std::clamp<int64_t>(kColBudgetBytes / per_image, 1, std::max<int64_t>(g.N, 1));
}

// ---- kernels ------------------------------------------------------------------------------

// y [N, O, L]: every output pixel starts at its channel's bias (the forward GEMM adds onto it).
template <typename T>
__global__ void fill_bias_kernel(T* y, const T* bias, int64_t O, int64_t L, int64_t n) {
  UNIAD_GRID_LOOP(i, n) { y[i] = bias[(i / L) % O]; }
}

// x [n, C, H, W] -> col: entry (image, row, l) with row = (c * kH + kh) * kW + kw and
// l = oh * Wo + ow sits at image * image_stride + row * row_stride + l and holds the input that
// tap (kh, kw) of output pixel (oh, ow) reads, 0 where the tap lands in the padding.
template <typename T>
__global__ void im2col_kernel(const T* x, T* col, ConvGeometry g, int64_t images, int64_t image_stride,
                              int64_t row_stride) {
  const int64_t L = g.Ho * g.Wo, rows = g.C * g.kH * g.kW;
  UNIAD_GRID_LOOP(i, images * rows * L) {
    const int64_t l = i % L, row = (i / L) % rows, image = i / (L * rows);
    const int64_t kw = row % g.kW, kh = (row / g.kW) % g.kH, c = row / (g.kW * g.kH);
    const int64_t ih = (l / g.Wo) * g.p.stride_h - g.p.pad_top + kh * g.p.dilation_h;
    const int64_t iw = (l % g.Wo) * g.p.stride_w - g.p.pad_left + kw * g.p.dilation_w;
    const bool inside = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W;
    col[image * image_stride + row * row_stride + l] = inside ? x[((image * g.C + c) * g.H + ih) * g.W + iw] : T(0);
  }
}

// The output index o along one axis whose tap k reads input index `in` (o * stride - pad +
// k * dilation == in), or -1 when there is none.
__device__ inline int64_t output_reading(int64_t in, int64_t k, int64_t stride, int64_t pad, int64_t dilation,
                                         int64_t out_size) {
  const int64_t t = in + pad - k * dilation;
  if (t < 0 || t % stride != 0) return -1;
  const int64_t o = t / stride;
  return o < out_size ? o : -1;
}

// The adjoint of im2col: dx [n, C, H, W] from dcol [n, C*kH*kW, L] (the per-image layout). Each
// input pixel adds, in tap order, the entries that im2col copied from it.
template <typename T>
__global__ void col2im_kernel(const T* dcol, T* dx, ConvGeometry g, int64_t images) {
  const int64_t L = g.Ho * g.Wo, rows = g.C * g.kH * g.kW;
  UNIAD_GRID_LOOP(i, images * g.C * g.H * g.W) {
    const int64_t iw = i % g.W, ih = (i / g.W) % g.H, c = (i / (g.W * g.H)) % g.C, image = i / (g.W * g.H * g.C);
    const T* rows_c = dcol + (image * rows + c * g.kH * g.kW) * L;  // [kH * kW, L]
    T acc = 0;
    for (int64_t kh = 0; kh < g.kH; ++kh) {
      const int64_t oh = output_reading(ih, kh, g.p.stride_h, g.p.pad_top, g.p.dilation_h, g.Ho);
      if (oh < 0) continue;
      for (int64_t kw = 0; kw < g.kW; ++kw) {
        const int64_t ow = output_reading(iw, kw, g.p.stride_w, g.p.pad_left, g.p.dilation_w, g.Wo);
        if (ow >= 0) acc += rows_c[(kh * g.kW + kw) * L + oh * g.Wo + ow];
      }
    }
    dx[i] = acc;
  }
}

// Depthwise forward: one thread per output y [N, C, Ho, Wo]; weight [C, 1, kH, kW].
template <typename T>
__global__ void depthwise_forward_kernel(const T* x, const T* w, const T* bias, T* y, ConvGeometry g) {
  UNIAD_GRID_LOOP(i, g.N * g.C * g.Ho * g.Wo) {
    const int64_t ow = i % g.Wo, oh = (i / g.Wo) % g.Ho, plane = i / (g.Wo * g.Ho), c = plane % g.C;
    const T* xp = x + plane * g.H * g.W;  // [H, W]
    const T* wc = w + c * g.kH * g.kW;    // [kH, kW]
    T acc = 0;
    for (int64_t kh = 0; kh < g.kH; ++kh) {
      const int64_t ih = oh * g.p.stride_h - g.p.pad_top + kh * g.p.dilation_h;
      if (ih < 0 || ih >= g.H) continue;
      for (int64_t kw = 0; kw < g.kW; ++kw) {
        const int64_t iw = ow * g.p.stride_w - g.p.pad_left + kw * g.p.dilation_w;
        if (iw >= 0 && iw < g.W) acc += xp[ih * g.W + iw] * wc[kh * g.kW + kw];
      }
    }
    y[i] = bias ? bias[c] + acc : acc;
  }
}

// Depthwise backward input: one thread per input pixel dx [N, C, H, W], gathering the outputs
// whose taps read it.
template <typename T>
__global__ void depthwise_backward_input_kernel(const T* dy, const T* w, T* dx, ConvGeometry g) {
  UNIAD_GRID_LOOP(i, g.N * g.C * g.H * g.W) {
    const int64_t iw = i % g.W, ih = (i / g.W) % g.H, plane = i / (g.W * g.H), c = plane % g.C;
    const T* dyp = dy + plane * g.Ho * g.Wo;  // [Ho, Wo]
    const T* wc = w + c * g.kH * g.kW;        // [kH, kW]
    T acc = 0;
    for (int64_t kh = 0; kh < g.kH; ++kh) {
      const int64_t oh = output_reading(ih, kh, g.p.stride_h, g.p.pad_top, g.p.dilation_h, g.Ho);
      if (oh < 0) continue;
      for (int64_t kw = 0; kw < g.kW; ++kw) {
        const int64_t ow = output_reading(iw, kw, g.p.stride_w, g.p.pad_left, g.p.dilation_w, g.Wo);
        if (ow >= 0) acc += dyp[oh * g.Wo + ow] * wc[kh * g.kW + kw];
      }
    }
    dx[i] = acc;
  }
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); the total is valid in thread 0.
template <typename T>
__device__ T block_sum(T v) {
  __shared__ T warp_sums[32];
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  v = threadIdx.x < blockDim.x / 32 ? warp_sums[threadIdx.x] : T(0);
  if (warp == 0)
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  __syncthreads();  // warp_sums is free again for the next call
  return v;
}

// Depthwise backward weight: one block per weight entry (c, kh, kw) of dw [C, 1, kH, kW] sums
// dy[n, c, oh, ow] * x[n, c, ih, iw] over images and output pixels. Each thread takes a fixed
// strided share and the block reduces in a fixed tree, so the result is the same on every run.
template <typename T>
__global__ void depthwise_backward_weight_kernel(const T* dy, const T* x, T* dw, ConvGeometry g) {
  const int64_t taps = g.kH * g.kW, L = g.Ho * g.Wo;
  for (int64_t entry = blockIdx.x; entry < g.C * taps; entry += gridDim.x) {
    const int64_t c = entry / taps, kh = (entry % taps) / g.kW, kw = entry % g.kW;
    T acc = 0;
    for (int64_t j = threadIdx.x; j < g.N * L; j += blockDim.x) {
      const int64_t n = j / L, oh = (j % L) / g.Wo, ow = j % g.Wo;
      const int64_t ih = oh * g.p.stride_h - g.p.pad_top + kh * g.p.dilation_h;
      const int64_t iw = ow * g.p.stride_w - g.p.pad_left + kw * g.p.dilation_w;
      if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W)
        acc += dy[(n * g.C + c) * L + oh * g.Wo + ow] * x[((n * g.C + c) * g.H + ih) * g.W + iw];
    }
    acc = block_sum(acc);
    if (threadIdx.x == 0) dw[entry] = acc;
  }
}

// ---- host side ----------------------------------------------------------------------------

template <typename T>
void launch_im2col(const T* x, T* col, const ConvGeometry& g, int64_t images, int64_t image_stride,
                   int64_t row_stride, const char* op) {
  const int64_t n = images * g.C * g.kH * g.kW * g.Ho * g.Wo;
  im2col_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(x, col, g, images, image_stride, row_stride);
  check_launch("im2col_kernel", op);
}

template <typename T>
void forward_im2col(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y, const ConvGeometry& g) {
  const int64_t K = g.patch(), L = g.pixels(), rows = g.C * g.kH * g.kW;
  const bool pointwise = is_pointwise(g);
  if (bias.defined()) {
    fill_bias_kernel<T><<<grid_for(y.numel()), kThreads, 0, stream()>>>(y.data<T>(), bias.data<T>(), g.O, L,
                                                                          y.numel());
    check_launch("fill_bias_kernel", "conv2d");
  } else if (K == 0) {
    y.fill_(0.0);
  }
  if (K == 0 || g.Og == 0) return;
  const int64_t chunk = images_per_chunk(g, sizeof(T));
  Tensor col = pointwise ? Tensor() : Tensor::empty({chunk, rows, L}, x.dtype(), x.device());
  for (int64_t n0 = 0; n0 < g.N; n0 += chunk) {
    const int64_t n = std::min(chunk, g.N - n0);
    const T* x0 = x.data<T>() + n0 * g.C * g.H * g.W;
    if (!pointwise) launch_im2col(x0, col.data<T>(), g, n, rows * L, L, "conv2d");
    const T* cols = pointwise ? x0 : col.data<T>();  // [n, G * K, L]
    for (int64_t group = 0; group < g.G; ++group) {
      const GemmOperand<T> w_g{w.data<T>() + group * g.Og * K, K, 1, 0};  // [Og, K], shared by the images
      const GemmOperand<T> col_g{cols + group * K * L, L, 1, rows * L};  // [K, L] per image
      T* y_g = y.data<T>() + (n0 * g.O + group * g.Og) * L;              // [Og, L] per image
      gemm_strided_batched<T>(g.Og, L, K, w_g, col_g, y_g, L, g.O * L, n, 1.0, bias.defined() ? 1.0 : 0.0, "conv2d");
    }
  }
}

template <typename T>
void backward_input_im2col(const Tensor& dy, const Tensor& w, Tensor& dx, const ConvGeometry& g) {
  const int64_t K = g.patch(), L = g.pixels(), rows = g.C * g.kH * g.kW;
  const bool pointwise = is_pointwise(g);
  if (K == 0 || g.Og == 0) {
    dx.fill_(0.0);
    return;
  }
  const int64_t chunk = images_per_chunk(g, sizeof(T));
  Tensor dcol = pointwise ? Tensor() : Tensor::empty({chunk, rows, L}, dy.dtype(), dy.device());
  for (int64_t n0 = 0; n0 < g.N; n0 += chunk) {
    const int64_t n = std::min(chunk, g.N - n0);
    T* dx0 = dx.data<T>() + n0 * g.C * g.H * g.W;
    T* dcols = pointwise ? dx0 : dcol.data<T>();  // [n, G * K, L]
    for (int64_t group = 0; group < g.G; ++group) {
      const GemmOperand<T> w_gt{w.data<T>() + group * g.Og * K, 1, K, 0};              // w_g^T [K, Og], in place
      const GemmOperand<T> dy_g{dy.data<T>() + (n0 * g.O + group * g.Og) * L, L, 1, g.O * L};  // [Og, L]
      gemm_strided_batched<T>(K, L, g.Og, w_gt, dy_g, dcols + group * K * L, L, rows * L, n, 1.0, 0.0,
                              "conv2d backward");
    }
    if (!pointwise) {
      col2im_kernel<T><<<grid_for(n * g.C * g.H * g.W), kThreads, 0, stream()>>>(dcol.data<T>(), dx0, g, n);
      check_launch("col2im_kernel", "conv2d backward");
    }
  }
}

template <typename T>
void backward_weight_im2col(const Tensor& dy, const Tensor& x, Tensor& dw, const ConvGeometry& g) {
  const int64_t K = g.patch(), L = g.pixels(), rows = g.C * g.kH * g.kW;
  if (g.N == 0 || K == 0 || g.Og == 0) {
    dw.fill_(0.0);
    return;
  }
  const int64_t chunk = images_per_chunk(g, sizeof(T));
  Tensor col = Tensor::empty({rows, chunk * L}, x.dtype(), x.device());
  for (int64_t n0 = 0; n0 < g.N; n0 += chunk) {
    const int64_t n = std::min(chunk, g.N - n0);
    // col [C*kH*kW, n*L] and dy as [O, n*L]: row r of either holds all n images' pixels.
    launch_im2col(x.data<T>() + n0 * g.C * g.H * g.W, col.data<T>(), g, n, L, n * L, "conv2d backward");
    const Tensor dy_rows = dy.slice(0, n0, n0 + n).view({n, g.O, L}).permute({1, 0, 2}).contiguous();  // [O, n, L]
    const GemmOperand<T> dy_g{dy_rows.data<T>(), n * L, 1, g.Og * n * L};  // [Og, n*L] per group
    const GemmOperand<T> col_gt{col.data<T>(), 1, n * L, K * n * L};       // col_g^T [n*L, K] per group, in place
    gemm_strided_batched<T>(g.Og, K, n * L, dy_g, col_gt, dw.data<T>(), K, g.Og * K, g.G, 1.0, n0 == 0 ? 0.0 : 1.0,
                            "conv2d backward");
  }
}

}  // namespace

Tensor conv2d(const Tensor& x_in, const Tensor& w_in, const Tensor& bias_in, const ConvGeometry& g) {
  const Tensor x = x_in.contiguous(), w = w_in.contiguous();  // [N, C, H, W], [O, Cg, kH, kW]
  const Tensor bias = bias_in.defined() ? bias_in.contiguous() : bias_in;
  Tensor y = Tensor::empty({g.N, g.O, g.Ho, g.Wo}, x.dtype(), x.device());  // [N, O, Ho, Wo]
  if (y.numel() == 0) return y;
  dispatch_float(x.dtype(), "conv2d", [&](auto tag) {
    using T = decltype(tag);
    if (g.depthwise()) {
      depthwise_forward_kernel<T><<<grid_for(y.numel()), kThreads, 0, stream()>>>(
          x.data<T>(), w.data<T>(), bias.defined() ? bias.data<T>() : nullptr, y.data<T>(), g);
      check_launch("depthwise_forward_kernel", "conv2d");
    } else {
      forward_im2col<T>(x, w, bias, y, g);
    }
  });
  return y;
}

Tensor conv2d_backward_input(const Tensor& grad_out, const Tensor& w_in, const ConvGeometry& g) {
  const Tensor dy = grad_out.contiguous(), w = w_in.contiguous();  // [N, O, Ho, Wo], [O, Cg, kH, kW]
  Tensor dx = Tensor::empty({g.N, g.C, g.H, g.W}, dy.dtype(), dy.device());  // [N, C, H, W]
  if (dx.numel() == 0) return dx;
  dispatch_float(dy.dtype(), "conv2d backward", [&](auto tag) {
    using T = decltype(tag);
    if (g.depthwise()) {
      depthwise_backward_input_kernel<T><<<grid_for(dx.numel()), kThreads, 0, stream()>>>(dy.data<T>(), w.data<T>(),
                                                                                           dx.data<T>(), g);
      check_launch("depthwise_backward_input_kernel", "conv2d backward");
    } else {
      backward_input_im2col<T>(dy, w, dx, g);
    }
  });
  return dx;
}

Tensor conv2d_backward_weight(const Tensor& grad_out, const Tensor& x_in, const ConvGeometry& g) {
  const Tensor dy = grad_out.contiguous(), x = x_in.contiguous();  // [N, O, Ho, Wo], [N, C, H, W]
  Tensor dw = Tensor::empty({g.O, g.Cg, g.kH, g.kW}, x.dtype(), x.device());  // [O, Cg, kH, kW]
  if (dw.numel() == 0) return dw;
  dispatch_float(x.dtype(), "conv2d backward", [&](auto tag) {
    using T = decltype(tag);
    if (g.depthwise()) {
      const int64_t entries = g.C * g.kH * g.kW;
      const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(entries, 65535));
      depthwise_backward_weight_kernel<T><<<blocks, kThreads, 0, stream()>>>(dy.data<T>(), x.data<T>(), dw.data<T>(),
                                                                             g);
      check_launch("depthwise_backward_weight_kernel", "conv2d backward");
    } else {
      backward_weight_im2col<T>(dy, x, dw, g);
    }
  });
  return dw;
}

}  // namespace uniad::cuda

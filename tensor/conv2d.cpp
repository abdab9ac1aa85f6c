// Convolution through im2col + GEMM, and the direct reference it is tested against.
//
// For one image and one group, with K = C/G * kH * kW (the inputs of one output pixel) and
// L = Ho * Wo (the output pixels):
//   col  [K, L]   = im2col(x[n, group channels])       each column is one receptive field
//   y    [Og, L]  = weight[group] [Og, K] x col         forward
//   dcol [K, L]   = weight[group]^T x dy [Og, L]        backward input, then col2im adds it back
//   dw   [Og, K] += dy [Og, L] x col^T                  backward weight, summed over images
// Transposes are views the GEMM reads in place. Images run in parallel when there are enough of
// them; otherwise Eigen parallelises each GEMM.
#include "tensor/conv2d.h"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "tensor/cuda/backend.h"
#include "tensor/elementwise.h"
#include "tensor/matmul.h"
#include "tensor/strided_loop.h"

namespace uniad::ops {

ConvGeometry conv2d_geometry(const Shape& x, const Shape& w, const Conv2dParams& p) {
  UNIAD_CHECK(x.size() == 4, "conv2d: input must be [N, C, H, W], got ", shape_str(x));
  UNIAD_CHECK(w.size() == 4, "conv2d: weight must be [O, C/groups, kH, kW], got ", shape_str(w));
  UNIAD_CHECK(p.stride_h >= 1 && p.stride_w >= 1 && p.dilation_h >= 1 && p.dilation_w >= 1 && p.groups >= 1,
              "conv2d: stride (", p.stride_h, ", ", p.stride_w, "), dilation (", p.dilation_h, ", ", p.dilation_w,
              ") and groups ", p.groups, " must be positive");
  UNIAD_CHECK(std::min({p.pad_top, p.pad_bottom, p.pad_left, p.pad_right}) >= 0, "conv2d: padding (top ", p.pad_top,
              ", bottom ", p.pad_bottom, ", left ", p.pad_left, ", right ", p.pad_right, ") must not be negative");
  ConvGeometry g{};
  g.N = x[0], g.C = x[1], g.H = x[2], g.W = x[3];
  g.O = w[0], g.Cg = w[1], g.kH = w[2], g.kW = w[3];
  g.G = p.groups;
  g.p = p;
  UNIAD_CHECK(g.C == g.Cg * g.G, "conv2d: input ", shape_str(x), " has ", g.C, " channels, weight ", shape_str(w),
              " with groups ", g.G, " expects ", g.Cg * g.G);
  UNIAD_CHECK(g.O % g.G == 0, "conv2d: weight ", shape_str(w), " has ", g.O,
              " output channels, not divisible by groups ", g.G);
  g.Og = g.O / g.G;
  const int64_t span_h = p.dilation_h * (g.kH - 1) + 1, span_w = p.dilation_w * (g.kW - 1) + 1;  // dilated kernel
  const int64_t padded_h = g.H + p.pad_top + p.pad_bottom, padded_w = g.W + p.pad_left + p.pad_right;
  UNIAD_CHECK(g.kH >= 1 && g.kW >= 1 && span_h <= padded_h && span_w <= padded_w, "conv2d: input ", shape_str(x),
              " padded to ", padded_h, "x", padded_w, " is smaller than the dilated kernel ", span_h, "x", span_w,
              " of weight ", shape_str(w));
  g.Ho = (padded_h - span_h) / p.stride_h + 1;
  g.Wo = (padded_w - span_w) / p.stride_w + 1;
  return g;
}

namespace {

void check_operands(const Tensor& x, const Tensor& w, const Tensor& bias) {
  UNIAD_CHECK(x.defined() && w.defined(), "conv2d: undefined input or weight");
  UNIAD_CHECK(x.dtype() == w.dtype(), "conv2d: dtypes differ: input ", dtype_name(x.dtype()), " ", shape_str(x.shape()),
              " vs weight ", dtype_name(w.dtype()), " ", shape_str(w.shape()));
  if (!bias.defined()) return;
  UNIAD_CHECK(bias.dim() == 1 && w.dim() >= 1 && bias.size(0) == w.size(0), "conv2d: bias ", shape_str(bias.shape()),
              " does not match weight ", shape_str(w.shape()), " (expected [O])");
  UNIAD_CHECK(bias.dtype() == x.dtype(), "conv2d: bias is ", dtype_name(bias.dtype()), ", input is ",
              dtype_name(x.dtype()));
}

// A 1x1 kernel with unit stride and no padding reads each input pixel once, in order: the
// image itself already is the im2col matrix, so the copy is skipped.
bool is_pointwise(const ConvGeometry& g) {
  const Conv2dParams& p = g.p;
  return g.kH == 1 && g.kW == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 && p.pad_bottom == 0 &&
         p.pad_left == 0 && p.pad_right == 0;
}

// Unrolls one image's group of channels x [Cg, H, W] into col [K, L]: row (c, kh, kw) holds,
// for every output pixel, the input that weight[:, c, kh, kw] multiplies (0 in the padding).
template <typename T>
void im2col(const T* x, T* col, const ConvGeometry& g) {
  const int64_t taps = g.kH * g.kW, L = g.pixels();
  std::fill(col, col + g.patch() * L, T(0));
  for (int64_t c = 0; c < g.Cg; ++c) {
    const T* plane = x + c * g.H * g.W;
    T* rows = col + c * taps * L;
    for_each_tap_run(g, [&](int64_t tap, int64_t out, int64_t in, int64_t count, int64_t step) {
      for (int64_t i = 0; i < count; ++i) rows[tap * L + out + i] = plane[in + i * step];
    });
  }
}

// The adjoint of im2col: adds every entry of col onto the input pixel it was copied from.
template <typename T>
void col2im(const T* col, T* x, const ConvGeometry& g) {
  const int64_t taps = g.kH * g.kW, L = g.pixels();
  for (int64_t c = 0; c < g.Cg; ++c) {
    T* plane = x + c * g.H * g.W;
    const T* rows = col + c * taps * L;
    for_each_tap_run(g, [&](int64_t tap, int64_t out, int64_t in, int64_t count, int64_t step) {
      for (int64_t i = 0; i < count; ++i) plane[in + i * step] += rows[tap * L + out + i];
    });
  }
}

// Rows [group * per, (group + 1) * per) of a 2-D tensor: one group's channels.
Tensor group_rows(const Tensor& t, int64_t group, int64_t per) { return t.slice(0, group * per, (group + 1) * per); }

// Image n's channels as a [channels, pixels] matrix of a contiguous [N, channels, h, w] tensor.
Tensor image_matrix(const Tensor& t, int64_t n) {
  const Tensor image = t.select(0, n);
  return image.view({image.size(0), image.size(1) * image.size(2)});
}

// One image's receptive fields for one group, col [K, L]: a view of x when pointwise, else
// unrolled into `buffer`.
template <typename T>
Tensor patches(const Tensor& x, int64_t n, int64_t group, const ConvGeometry& g, Tensor& buffer) {
  if (is_pointwise(g)) return group_rows(image_matrix(x, n), group, g.Cg);
  im2col(x.data<T>() + (n * g.C + group * g.Cg) * g.H * g.W, buffer.data<T>(), g);
  return buffer;
}

// Scratch for one image's col matrix; none needed when the image itself serves (pointwise).
Tensor col_buffer(const ConvGeometry& g, DType dtype) {
  return is_pointwise(g) ? Tensor() : Tensor::empty({g.patch(), g.pixels()}, dtype);  // [K, L]
}

// Images in parallel only when every thread gets one and the work outweighs starting threads.
bool batch_parallel(const ConvGeometry& g) {
  return g.N > 1 && g.N >= omp_get_max_threads() && g.N * g.O * g.patch() * g.pixels() >= kParallelGrain;
}

template <typename T>
void forward_im2col(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y, const ConvGeometry& g) {
  const Tensor w2 = w.view({g.O, g.patch()});  // [O, K]
  const Tensor b = bias.defined() ? bias.contiguous() : bias;
  const T* b0 = b.defined() ? b.data<T>() : nullptr;
#pragma omp parallel for schedule(static) if (batch_parallel(g))
  for (int64_t n = 0; n < g.N; ++n) {
    Tensor col = col_buffer(g, x.dtype());  // [K, L]
    Tensor y_n = image_matrix(y, n);        // [O, L]
    if (b0)                                 // start from the bias and let the GEMM accumulate onto it
      for (int64_t o = 0; o < g.O; ++o) std::fill_n(y_n.data<T>() + o * g.pixels(), g.pixels(), b0[o]);
    for (int64_t group = 0; group < g.G; ++group) {
      Tensor y_g = group_rows(y_n, group, g.Og);  // [Og, L]
      gemm_into(y_g, group_rows(w2, group, g.Og), patches<T>(x, n, group, g, col), b0 != nullptr);
    }
  }
}

template <typename T>
void backward_input_im2col(const Tensor& dy, const Tensor& w, Tensor& dx, const ConvGeometry& g) {
  const Tensor w2 = w.view({g.O, g.patch()});  // [O, K]
#pragma omp parallel for schedule(static) if (batch_parallel(g))
  for (int64_t n = 0; n < g.N; ++n) {
    Tensor dcol = col_buffer(g, dy.dtype());  // [K, L]
    const Tensor dy_n = image_matrix(dy, n);  // [O, L]
    for (int64_t group = 0; group < g.G; ++group) {
      const Tensor w_gt = group_rows(w2, group, g.Og).transpose(0, 1);  // [K, Og]
      const Tensor dy_g = group_rows(dy_n, group, g.Og);                // [Og, L]
      if (is_pointwise(g)) {  // dx's rows are the col matrix: write straight into them
        Tensor dx_g = group_rows(image_matrix(dx, n), group, g.Cg);
        gemm_into(dx_g, w_gt, dy_g, false);
      } else {
        gemm_into(dcol, w_gt, dy_g, false);
        col2im(dcol.data<T>(), dx.data<T>() + (n * g.C + group * g.Cg) * g.H * g.W, g);
      }
    }
  }
}

// Each thread sums its images' contributions into a private [O, K] buffer and the buffers are
// added at the end, so no two threads ever write the same weight gradient.
template <typename T>
Tensor backward_weight_im2col(const Tensor& dy, const Tensor& x, const ConvGeometry& g) {
  const int threads = batch_parallel(g) ? omp_get_max_threads() : 1;
  std::vector<Tensor> partial(threads);
#pragma omp parallel num_threads(threads)
  {
    Tensor& dw = partial[omp_get_thread_num()];
    dw = Tensor::zeros({g.O, g.patch()}, x.dtype());  // [O, K]
    Tensor col = col_buffer(g, x.dtype());            // [K, L]
#pragma omp for schedule(static)
    for (int64_t n = 0; n < g.N; ++n) {
      const Tensor dy_n = image_matrix(dy, n);  // [O, L]
      for (int64_t group = 0; group < g.G; ++group) {
        Tensor dw_g = group_rows(dw, group, g.Og);  // [Og, K]
        gemm_into(dw_g, group_rows(dy_n, group, g.Og), patches<T>(x, n, group, g, col).transpose(0, 1), true);
      }
    }
  }
  for (int t = 1; t < threads; ++t)
    if (partial[t].defined()) add_(partial[0], partial[t]);
  return partial[0];
}

}  // namespace

Tensor conv2d(const Tensor& x_in, const Tensor& w_in, const Tensor& bias, const Conv2dParams& p) {
  check_operands(x_in, w_in, bias);
  const ConvGeometry g = conv2d_geometry(x_in.shape(), w_in.shape(), p);
  if (cuda::on_gpu("conv2d", x_in, w_in, bias)) return cuda::conv2d(x_in, w_in, bias, g);
  const Tensor x = x_in.contiguous(), w = w_in.contiguous();
  if (g.depthwise()) return depthwise_conv2d(x, w, bias, g);
  Tensor y = Tensor::empty({g.N, g.O, g.Ho, g.Wo}, x.dtype());  // [N, O, Ho, Wo]
  dispatch_float(x.dtype(), "conv2d", [&](auto tag) { forward_im2col<decltype(tag)>(x, w, bias, y, g); });
  return y;
}

Tensor conv2d_backward_input(const Tensor& grad_out, const Tensor& w_in, const Shape& x_shape, const Conv2dParams& p) {
  check_operands(grad_out, w_in, Tensor());
  const ConvGeometry g = conv2d_geometry(x_shape, w_in.shape(), p);
  UNIAD_CHECK(grad_out.shape() == Shape({g.N, g.O, g.Ho, g.Wo}), "conv2d backward: gradient ",
              shape_str(grad_out.shape()), " for an output of shape ", shape_str({g.N, g.O, g.Ho, g.Wo}));
  if (cuda::on_gpu("conv2d backward", grad_out, w_in)) return cuda::conv2d_backward_input(grad_out, w_in, g);
  const Tensor dy = grad_out.contiguous(), w = w_in.contiguous();
  if (g.depthwise()) return depthwise_conv2d_backward_input(dy, w, g);
  Tensor dx = Tensor::zeros(x_shape, dy.dtype());  // [N, C, H, W], col2im accumulates into it
  dispatch_float(dy.dtype(), "conv2d backward", [&](auto tag) { backward_input_im2col<decltype(tag)>(dy, w, dx, g); });
  return dx;
}

Tensor conv2d_backward_weight(const Tensor& grad_out, const Tensor& x_in, const Shape& weight_shape,
                              const Conv2dParams& p) {
  UNIAD_CHECK(grad_out.dtype() == x_in.dtype(), "conv2d backward: gradient is ", dtype_name(grad_out.dtype()),
              ", input is ", dtype_name(x_in.dtype()));
  const ConvGeometry g = conv2d_geometry(x_in.shape(), weight_shape, p);
  UNIAD_CHECK(grad_out.shape() == Shape({g.N, g.O, g.Ho, g.Wo}), "conv2d backward: gradient ",
              shape_str(grad_out.shape()), " for an output of shape ", shape_str({g.N, g.O, g.Ho, g.Wo}));
  if (cuda::on_gpu("conv2d backward", grad_out, x_in)) return cuda::conv2d_backward_weight(grad_out, x_in, g);
  const Tensor dy = grad_out.contiguous(), x = x_in.contiguous();
  if (g.depthwise()) return depthwise_conv2d_backward_weight(dy, x, g);
  return dispatch_float(x.dtype(), "conv2d backward",
                        [&](auto tag) { return backward_weight_im2col<decltype(tag)>(dy, x, g).view(weight_shape); });
}

// ---------------------------------------------------------------- reference

namespace {

// One output value of the definition: bias + sum over the group's channels and kernel taps.
template <typename T>
T reference_pixel(const T* x, const T* w, const ConvGeometry& g, int64_t n, int64_t o, int64_t oh, int64_t ow) {
  const Conv2dParams& p = g.p;
  const int64_t first_channel = (o / g.Og) * g.Cg;
  T acc = 0;
  for (int64_t c = 0; c < g.Cg; ++c)
    for (int64_t kh = 0; kh < g.kH; ++kh)
      for (int64_t kw = 0; kw < g.kW; ++kw) {
        const int64_t ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
        const int64_t iw = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
        if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;  // zero padding
        acc += x[((n * g.C + first_channel + c) * g.H + ih) * g.W + iw] * w[((o * g.Cg + c) * g.kH + kh) * g.kW + kw];
      }
  return acc;
}

}  // namespace

Tensor conv2d_reference(const Tensor& x_in, const Tensor& w_in, const Tensor& bias, const Conv2dParams& p) {
  check_operands(x_in, w_in, bias);
  UNIAD_CHECK(!cuda::on_gpu("conv2d_reference", x_in, w_in, bias),
              "conv2d_reference: the reference runs on the CPU only (compare GPU results against it there)");
  const ConvGeometry g = conv2d_geometry(x_in.shape(), w_in.shape(), p);
  const Tensor x = x_in.contiguous(), w = w_in.contiguous();
  const Tensor b = bias.defined() ? bias.contiguous() : bias;
  Tensor y = Tensor::empty({g.N, g.O, g.Ho, g.Wo}, x.dtype());  // [N, O, Ho, Wo]
  dispatch_float(x.dtype(), "conv2d_reference", [&](auto tag) {
    using T = decltype(tag);
    T* out = y.data<T>();
    for (int64_t n = 0; n < g.N; ++n)
      for (int64_t o = 0; o < g.O; ++o)
        for (int64_t oh = 0; oh < g.Ho; ++oh)
          for (int64_t ow = 0; ow < g.Wo; ++ow)
            *out++ = (b.defined() ? b.data<T>()[o] : T(0)) + reference_pixel(x.data<T>(), w.data<T>(), g, n, o, oh, ow);
  });
  return y;
}

}  // namespace uniad::ops

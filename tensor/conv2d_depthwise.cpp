// Depthwise convolution (groups == C == O): channel c of the output is channel c of the input
// convolved with its own kH x kW filter, weight [C, 1, kH, kW]. Each (image, channel) plane is
// independent, so the loops below work one plane at a time and share planes across threads
// without write conflicts. im2col would copy each channel kH*kW times only to multiply the copy
// by a single filter row; the direct loops read the input in place.
//
// Forward (the backbones' hot loop; tensor/conv2d.h's conv2d_reference is its spec):
//   1. The plane is copied into a zero-padded scratch plane whose columns are split by phase
//      modulo the stride: phase q holds padded columns q, q + s, q + 2s, ... Output column o's
//      tap kw then reads phase (kw * dilation) % s at o + (kw * dilation) / s, so every tap is a
//      contiguous run, stride 2 vectorises like stride 1, and no inner loop tests bounds.
//   2. Outputs are computed in blocks of Rows x Chunk (rows x columns) whose sums stay in vector
//      registers across all kH * kW taps: 8 independent accumulator vectors hide the latency of
//      the multiply-adds, and narrow maps (14 x 14) take more rows instead of wasted columns.
// The backward kernels keep the plain run-by-run loops (for_each_tap_run): training never
// differentiates through the frozen backbones, so they are not hot.
#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "tensor/conv2d.h"
#include "tensor/strided_loop.h"

namespace uniad::ops {

namespace {

// Threads pay off once the whole convolution does enough multiply-adds.
bool worth_threads(const ConvGeometry& g) { return g.N * g.C * g.pixels() * g.kH * g.kW >= kParallelGrain; }

constexpr int64_t kVecBytes = 32;  // one AVX register; GCC splits or merges for other targets

// Output columns per register block: up to 4 vectors (32 floats), fewer for narrow rows.
int64_t chunk_for(int64_t Wo) { return Wo <= 8 ? 8 : Wo <= 16 ? 16 : 32; }

int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// The padded, phase-split scratch copy of one input plane.
struct PhasePlane {
  int64_t rows, width;        // padded rows; columns per phase (chunks and vectors never read past)
  int64_t stride;             // phases
  int64_t chunk;              // output columns per register block
  std::vector<int64_t> taps;  // [kH * kW]: where tap (kh, kw) of output (0, 0) reads

  explicit PhasePlane(const ConvGeometry& g) : stride(g.p.stride_w), chunk(chunk_for(g.Wo)) {
    const Conv2dParams& p = g.p;
    rows = (g.Ho - 1) * p.stride_h + (g.kH - 1) * p.dilation_h + 1;
    width = round_up(round_up(g.Wo, chunk) + ((g.kW - 1) * p.dilation_w) / stride + 1, 8);
    for (int64_t kh = 0; kh < g.kH; ++kh)
      for (int64_t kw = 0; kw < g.kW; ++kw) {
        const int64_t c = kw * p.dilation_w;
        taps.push_back(((c % stride) * rows + kh * p.dilation_h) * width + c / stride);
      }
  }
  int64_t size() const { return stride * rows * width; }

  // buf[(q * rows + r) * width + j] = padded input at row r, column q + j * stride. Only the
  // entries that hold input are written: the padding is the same for every plane of one
  // convolution, so it stays zero from the buffer's zero-initialisation.
  template <typename T>
  void fill(const T* x, const ConvGeometry& g, T* buf) const {
    if (stride == 2) return fill_stride2(x, g, buf);
    const Conv2dParams& p = g.p;
    const int64_t r0 = std::min(rows, p.pad_top), r1 = std::min(rows, p.pad_top + g.H);  // rows holding input
    for (int64_t q = 0; q < stride; ++q) {
      // Columns j whose input column q + j * stride - pad_left lies inside [0, W).
      const int64_t lo = std::min(width, std::max<int64_t>(0, (p.pad_left - q + stride - 1) / stride));
      const int64_t hi = std::max(lo, std::min(width, (g.W - 1 + p.pad_left - q) / stride + 1));
      for (int64_t r = r0; r < r1; ++r) {
        T* dst = buf + (q * rows + r) * width;
        const T* src = x + (r - p.pad_top) * g.W + q - p.pad_left;
        if (stride == 1) std::copy(src + lo, src + hi, dst + lo);
        else
          for (int64_t j = lo; j < hi; ++j) dst[j] = src[j * stride];
      }
    }
  }

  // Stride 2: one pass of vector shuffles splits each input row into its even and odd columns,
  // written straight into the two phases. Phase q holds input columns of parity
  // e = (q - pad_left) mod 2 from column e on, starting at phase column (pad_left + e - q) / 2.
  template <typename T>
  void fill_stride2(const T* x, const ConvGeometry& g, T* buf) const {
    typedef T Vec __attribute__((vector_size(kVecBytes)));
    typedef std::conditional_t<sizeof(T) == 4, int32_t, int64_t> I;
    typedef I Mask __attribute__((vector_size(kVecBytes)));
    constexpr int64_t lanes = kVecBytes / sizeof(T);
    Mask even, odd;
    for (int64_t i = 0; i < lanes; ++i) even[i] = I(2 * i), odd[i] = I(2 * i + 1);
    const Conv2dParams& p = g.p;
    int64_t phase_of[2], start[2], count[2];  // by input column parity e
    for (int64_t q = 0; q < 2; ++q) {
      const int64_t e = ((q - p.pad_left) % 2 + 2) % 2;
      phase_of[e] = q;
      start[e] = std::min(width, (p.pad_left + e - q) / 2);
      count[e] = std::max<int64_t>(0, std::min((g.W - e + 1) / 2, width - start[e]));
    }
    const int64_t full = std::min(count[0], count[1]) / lanes * lanes;  // columns done by vectors
    const int64_t r0 = std::min(rows, p.pad_top), r1 = std::min(rows, p.pad_top + g.H);
    for (int64_t r = r0; r < r1; ++r) {
      const T* src = x + (r - p.pad_top) * g.W;
      T* dst[2];
      for (int64_t e = 0; e < 2; ++e) dst[e] = buf + (phase_of[e] * rows + r) * width + start[e];
      for (int64_t i = 0; i < full; i += lanes) {  // reads columns [2i, 2i + 2 lanes) inside the row
        Vec a, b;
        __builtin_memcpy(&a, src + 2 * i, sizeof a);
        __builtin_memcpy(&b, src + 2 * i + lanes, sizeof b);
        const Vec ev = __builtin_shuffle(a, b, even), ov = __builtin_shuffle(a, b, odd);
        __builtin_memcpy(dst[0] + i, &ev, sizeof ev);
        __builtin_memcpy(dst[1] + i, &ov, sizeof ov);
      }
      for (int64_t e = 0; e < 2; ++e)
        for (int64_t i = full; i < count[e]; ++i) dst[e][i] = src[2 * i + e];
    }
  }
};

// Rows x Chunk outputs starting at y (row step Wo) = bias + sum over taps of w[t] times the
// scratch plane at in + taps[t] (+ r * in_row_step for output row r). n: valid columns.
template <typename T, int64_t Chunk, int64_t Rows>
inline void output_block(const T* in, int64_t in_row_step, const int64_t* taps, int64_t ntaps, const T* w, T bias,
                         T* y, int64_t Wo, int64_t n) {
  typedef T Vec __attribute__((vector_size(kVecBytes)));
  constexpr int64_t lanes = kVecBytes / sizeof(T), vecs = Chunk < lanes ? 1 : Chunk / lanes;
  Vec acc[Rows][vecs];
#pragma GCC unroll 16
  for (int64_t r = 0; r < Rows; ++r)
#pragma GCC unroll 8
    for (int64_t v = 0; v < vecs; ++v) acc[r][v] = Vec{} + bias;
  for (int64_t t = 0; t < ntaps; ++t) {
    const Vec wv = Vec{} + w[t];
#pragma GCC unroll 16
    for (int64_t r = 0; r < Rows; ++r) {
      const T* src = in + r * in_row_step + taps[t];
#pragma GCC unroll 8
      for (int64_t v = 0; v < vecs; ++v) {
        Vec s;
        __builtin_memcpy(&s, src + v * lanes, sizeof s);  // unaligned load
        acc[r][v] += wv * s;
      }
    }
  }
  for (int64_t r = 0; r < Rows; ++r) {
    if (n == Chunk) {
      __builtin_memcpy(y + r * Wo, acc[r], Chunk * sizeof(T));
    } else {
      T tail[vecs * lanes];
      __builtin_memcpy(tail, acc[r], sizeof tail);
      std::copy(tail, tail + n, y + r * Wo);
    }
  }
}

// Output rows [oh, Ho) in blocks of Rows rows, then of Rows / 2, ... down to single rows, so
// that leftover rows keep several accumulators too.
template <typename T, int64_t Chunk, int64_t Rows>
void plane_rows(const T* buf, const PhasePlane& pp, const T* w, T bias, T* y, const ConvGeometry& g, int64_t oh) {
  const int64_t ntaps = g.kH * g.kW, row_step = g.p.stride_h * pp.width;
  for (; oh + Rows <= g.Ho; oh += Rows)
    for (int64_t j0 = 0; j0 < g.Wo; j0 += Chunk)
      output_block<T, Chunk, Rows>(buf + oh * row_step + j0, row_step, pp.taps.data(), ntaps, w, bias,
                                   y + oh * g.Wo + j0, g.Wo, std::min(Chunk, g.Wo - j0));
  if constexpr (Rows > 1) plane_rows<T, Chunk, Rows / 2>(buf, pp, w, bias, y, g, oh);
}

// One output plane y [Ho, Wo] = bias + depthwise conv of the scratch plane with w [kH, kW],
// starting with blocks of 8 accumulator vectors.
template <typename T, int64_t Chunk>
void depthwise_plane(const T* buf, const PhasePlane& pp, const T* w, T bias, T* y, const ConvGeometry& g) {
  constexpr int64_t lanes = kVecBytes / sizeof(T), vecs = Chunk < lanes ? 1 : Chunk / lanes;
  plane_rows<T, Chunk, (vecs >= 8 ? 1 : 8 / vecs)>(buf, pp, w, bias, y, g, 0);
}

template <typename T>
void depthwise_plane(const T* buf, const PhasePlane& pp, const T* w, T bias, T* y, const ConvGeometry& g) {
  if (pp.chunk == 8) depthwise_plane<T, 8>(buf, pp, w, bias, y, g);
  else if (pp.chunk == 16) depthwise_plane<T, 16>(buf, pp, w, bias, y, g);
  else depthwise_plane<T, 32>(buf, pp, w, bias, y, g);
}

}  // namespace

Tensor depthwise_conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const ConvGeometry& g) {
  Tensor y = Tensor::empty({g.N, g.C, g.Ho, g.Wo}, x.dtype());  // [N, C, Ho, Wo]
  const Tensor b = bias.defined() ? bias.contiguous() : bias;
  dispatch_float(x.dtype(), "conv2d (depthwise)", [&](auto tag) {
    using T = decltype(tag);
    const int64_t planes = g.N * g.C, in_plane = g.H * g.W, out_plane = g.pixels(), taps = g.kH * g.kW;
    const T *x0 = x.data<T>(), *w0 = weight.data<T>(), *b0 = b.defined() ? b.data<T>() : nullptr;
    T* y0 = y.data<T>();
    const PhasePlane pp(g);
#pragma omp parallel if (worth_threads(g))
    {
      std::vector<T> buf(pp.size());  // this thread's scratch plane, zeroed once: the padding
#pragma omp for schedule(static)
      for (int64_t nc = 0; nc < planes; ++nc) {
        const int64_t c = nc % g.C;
        pp.fill(x0 + nc * in_plane, g, buf.data());
        depthwise_plane(buf.data(), pp, w0 + c * taps, b0 ? b0[c] : T(0), y0 + nc * out_plane, g);
      }
    }
  });
  return y;
}

// dx[in] += w[tap] * dy[out] for every tap that read x[in] in the forward pass.
Tensor depthwise_conv2d_backward_input(const Tensor& grad_out, const Tensor& weight, const ConvGeometry& g) {
  Tensor dx = Tensor::zeros({g.N, g.C, g.H, g.W}, grad_out.dtype());  // [N, C, H, W]
  dispatch_float(grad_out.dtype(), "conv2d backward (depthwise)", [&](auto tag) {
    using T = decltype(tag);
    const int64_t planes = g.N * g.C, in_plane = g.H * g.W, out_plane = g.pixels(), taps = g.kH * g.kW;
    const T *dy0 = grad_out.data<T>(), *w0 = weight.data<T>();
    T* dx0 = dx.data<T>();
#pragma omp parallel for schedule(static) if (worth_threads(g))
    for (int64_t nc = 0; nc < planes; ++nc) {
      const T* dyp = dy0 + nc * out_plane;   // [Ho, Wo]
      const T* wp = w0 + (nc % g.C) * taps;  // [kH, kW]
      T* dxp = dx0 + nc * in_plane;          // [H, W]
      for_each_tap_run(g, [&](int64_t tap, int64_t out, int64_t in, int64_t count, int64_t step) {
        const T w = wp[tap];
        for (int64_t i = 0; i < count; ++i) dxp[in + i * step] += w * dyp[out + i];
      });
    }
  });
  return dx;
}

// dw[c, tap] = sum over images and output pixels of dy[n, c, out] * x[n, c, in]. Threads split
// the channels (each owns its filter), and every thread walks all images.
Tensor depthwise_conv2d_backward_weight(const Tensor& grad_out, const Tensor& x, const ConvGeometry& g) {
  Tensor dw = Tensor::zeros({g.C, 1, g.kH, g.kW}, x.dtype());  // [C, 1, kH, kW]
  dispatch_float(x.dtype(), "conv2d backward (depthwise)", [&](auto tag) {
    using T = decltype(tag);
    const int64_t in_plane = g.H * g.W, out_plane = g.pixels(), taps = g.kH * g.kW;
    const T *dy0 = grad_out.data<T>(), *x0 = x.data<T>();
    T* dw0 = dw.data<T>();
#pragma omp parallel for schedule(static) if (worth_threads(g))
    for (int64_t c = 0; c < g.C; ++c) {
      T* dwp = dw0 + c * taps;  // [kH, kW]
      for (int64_t n = 0; n < g.N; ++n) {
        const T* dyp = dy0 + (n * g.C + c) * out_plane;  // [Ho, Wo]
        const T* xp = x0 + (n * g.C + c) * in_plane;     // [H, W]
        for_each_tap_run(g, [&](int64_t tap, int64_t out, int64_t in, int64_t count, int64_t step) {
          T sum = 0;  // one run's dot product, kept in a register
          for (int64_t i = 0; i < count; ++i) sum += dyp[out + i] * xp[in + i * step];
          dwp[tap] += sum;
        });
      }
    }
  });
  return dw;
}

}  // namespace uniad::ops

// MBConvNet's forward pass: images in parallel, each through tensor ops (tensor/conv2d.h) with
// activations and residual adds in place.
#include "data/mbconv.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>

#include "tensor/conv2d.h"
#include "tensor/elementwise.h"
#include "tensor/error.h"
#include "tensor/fast_exp.h"
#include "tensor/join.h"
#include "tensor/matmul.h"
#include "tensor/strided_loop.h"

namespace uniad::data {

namespace {

// exp for float in a form GCC vectorises (std::exp stays a scalar call): x = n ln2 + r with
// |r| <= ln2 / 2, e^r by Cephes' degree-6 polynomial, 2^n through the exponent bits. Relative
// error below 1e-7; 15x faster than std::exp here, which matters for swish (EfficientNet).
inline float exp_vectorisable(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  const float n = std::nearbyint(x * 1.44269504088896341f);  // x / ln 2
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;  // ln 2 split in two for precision
  return fastmath::exp_reduced(r) * fastmath::pow2_whole(n);
}

inline float sigmoid(float v) { return 1.0f / (1.0f + exp_vectorisable(-v)); }

// In place over a contiguous float32 tensor.
void activate_(Tensor& t, Activation a) {
  float* p = t.data<float>();
  const int64_t n = t.numel();
  if (a == Activation::Relu6) {
#pragma omp parallel for schedule(static) if (n >= kParallelGrain)
    for (int64_t i = 0; i < n; ++i) p[i] = std::min(std::max(p[i], 0.0f), 6.0f);
  } else {
#pragma omp parallel for schedule(static) if (n >= kParallelGrain)
    for (int64_t i = 0; i < n; ++i) p[i] = p[i] * sigmoid(p[i]);
  }
}

}  // namespace

// A "same"-padded conv of x [B, C, H, W] with a folded weight [O, C/groups, k, k]: the padding
// comes from the actual H and W (dynamic) or from the nominal side (static).
Tensor MBConvNet::conv(const Tensor& x, const FoldedConv& c, int64_t stride, int64_t nominal, bool depthwise) const {
  const int64_t k = c.weight.size(2);
  const bool fixed = spec_.padding == SamePadding::Static;
  const PadPair ph = same_padding(fixed ? nominal : x.size(2), k, stride);
  const PadPair pw = same_padding(fixed ? nominal : x.size(3), k, stride);
  ops::Conv2dParams p;
  p.stride_h = p.stride_w = stride;
  p.pad_top = ph.before, p.pad_bottom = ph.after, p.pad_left = pw.before, p.pad_right = pw.after;
  p.groups = depthwise ? x.size(1) : 1;
  return ops::conv2d(x, c.weight, c.bias, p);
}

// h [B, E, H, W] *= sigmoid(W_e act(W_r mean_hw(h) + b_r) + b_e), one factor per image and channel.
void MBConvNet::squeeze_excite_(Tensor& h, const Block& blk) const {
  const int64_t B = h.size(0), E = h.size(1), L = h.size(2) * h.size(3);
  Tensor s = Tensor::empty({B, E});  // [B, E] channel means
  const float* h0 = h.data<float>();
  float* s0 = s.data<float>();
  for (int64_t i = 0; i < B * E; ++i) {
    double sum = 0;
    for (int64_t j = 0; j < L; ++j) sum += h0[i * L + j];
    s0[i] = static_cast<float>(sum / L);
  }
  const int64_t R = blk.se_reduce.weight.size(0);
  Tensor r = ops::add(ops::matmul(s, blk.se_reduce.weight.view({R, E}).transpose(0, 1)), blk.se_reduce.bias);  // [B, R]
  activate_(r, spec_.activation);
  Tensor e = ops::add(ops::matmul(r, blk.se_expand.weight.view({E, R}).transpose(0, 1)), blk.se_expand.bias);  // [B, E]
  const float* e0 = e.data<float>();
  float* hp = h.data<float>();
#pragma omp parallel for schedule(static) if (B * E * L >= kParallelGrain)
  for (int64_t i = 0; i < B * E; ++i) {
    const float f = sigmoid(e0[i]);
    for (int64_t j = 0; j < L; ++j) hp[i * L + j] *= f;
  }
}

Tensor MBConvNet::run_block(int b, const Tensor& x, int64_t nominal) const {
  const MBConvBlockSpec& s = spec_.blocks[b];
  const Block& blk = blocks_[b];
  Tensor h = x;  // [B, in, H, W]
  if (s.expand_ratio > 1) {
    h = conv(x, blk.expand, 1, nominal, false);  // [B, E, H, W]
    activate_(h, spec_.activation);
  }
  h = conv(h, blk.depthwise, s.stride, nominal, true);  // [B, E, H/s, W/s]
  activate_(h, spec_.activation);
  if (s.se_width > 0) squeeze_excite_(h, blk);
  Tensor y = conv(h, blk.project, 1, ceil_div(nominal, s.stride), false);  // [B, out, H/s, W/s]
  if (s.residual()) ops::add_(y, x);
  return y;
}

std::vector<Tensor> MBConvNet::forward(const Tensor& images, const std::vector<int>& blocks) const {
  UNIAD_CHECK(images.defined() && images.dim() == 4 && images.size(1) == 3 && images.dtype() == DType::Float32,
              spec_.architecture, ": images must be float32 [B, 3, H, W], got ",
              images.defined() ? shape_str(images.shape()) : "undefined");
  UNIAD_CHECK(!blocks.empty(), spec_.architecture, ": no feature blocks requested");
  for (int b : blocks)
    UNIAD_CHECK(b >= -1 && b <= last_block(), spec_.architecture, ": block ", b, " is not loaded from ", source_,
                " (loaded: -1 (stem) to ", last_block(), ")");
  const Tensor x = images.contiguous();
  const int64_t B = x.size(0);
  if (B < 2 || omp_in_parallel()) return forward_batch(x, blocks);
  // One image at a time through the whole net, one per thread: each image's maps (a few MB)
  // stay in cache from one layer to the next, and threads meet once per batch instead of once
  // per op. The kernels inside run single-threaded (nested parallel regions are inactive).
  // Whole-batch layers (forward_batch) measured 2-2.5x slower at batch 16 (docs/backbones.md).
  std::vector<std::vector<Tensor>> per_image(B);
  std::exception_ptr failure;  // an exception must not leave the parallel region
#pragma omp parallel for schedule(dynamic, 1) if (omp_get_max_threads() > 1)
  for (int64_t i = 0; i < B; ++i) {
    try {
      per_image[i] = forward_batch(x.slice(0, i, i + 1), blocks);
    } catch (...) {
#pragma omp critical(mbconv_failure)
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  std::vector<Tensor> out(blocks.size());
  for (size_t k = 0; k < blocks.size(); ++k) {
    std::vector<Tensor> parts(B);
    for (int64_t i = 0; i < B; ++i) parts[i] = per_image[i][k];
    out[k] = ops::concat(parts, 0);  // [B, C_k, H_k, W_k]
  }
  return out;
}

std::vector<Tensor> MBConvNet::forward_batch(const Tensor& x, const std::vector<int>& blocks) const {
  const int deepest = *std::max_element(blocks.begin(), blocks.end());
  std::vector<Tensor> out(blocks.size());
  auto keep = [&](int b, const Tensor& m) {
    for (size_t i = 0; i < blocks.size(); ++i)
      if (blocks[i] == b) out[i] = m;
  };
  int64_t nominal = spec_.static_image_size;  // the side a static-padding net would see here
  Tensor h = conv(x, stem_, spec_.stem_stride, nominal, false);  // [B, C0, S/2, S/2]
  activate_(h, spec_.activation);
  keep(-1, h);
  nominal = ceil_div(nominal, spec_.stem_stride);
  for (int b = 0; b <= deepest; ++b) {
    h = run_block(b, h, nominal);
    keep(b, h);
    nominal = ceil_div(nominal, spec_.blocks[b].stride);
  }
  return out;
}

Tensor MBConvNet::head(const Tensor& x) const {
  UNIAD_CHECK(head_.weight.defined(), spec_.architecture, ": the head was not loaded from ", source_);
  UNIAD_CHECK(x.dim() == 4 && x.size(1) == spec_.blocks.back().out, spec_.architecture, ": head input ",
              shape_str(x.shape()), " must be [B, ", spec_.blocks.back().out, ", H, W]");
  Tensor y = conv(x, head_, 1, 0, false);  // [B, head_channels, H, W]
  activate_(y, spec_.activation);
  return y;
}

}  // namespace uniad::data

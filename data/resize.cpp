// PIL-compatible resizing (antialiased bilinear, nearest), normalisation, flips and rotations.
// The bilinear code follows the structure of Pillow's libImaging/Resample.c (precompute_coeffs,
// normalize_coeffs_8bpc, ImagingResampleHorizontal/Vertical_8bpc) so that results match it
// exactly; see data/resize.h for the contract.
#include "data/resize.h"

#include <cmath>

#include "tensor/error.h"

namespace uniad::data {

namespace {

// Fixed-point precision of the 8-bit passes: 32 bits less 8 for the sample and 2 spare for the
// sum of coefficients overshooting 1 (Pillow's PRECISION_BITS).
constexpr int kPrecisionBits = 32 - 8 - 2;

double triangle(double x) {  // the bilinear filter, support 1
  x = std::abs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

// For each output position along one axis: the first input index, the number of taps, and the
// taps' fixed-point weights (`ksize` slots per output, unused ones zero).
struct Taps {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<int32_t> weights;  // [out_size, ksize]
};

Taps precompute_taps(int in_size, int out_size) {
  const double scale = double(in_size) / out_size;
  // Downscaling stretches the filter over `scale` input pixels: that is the antialiasing.
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = 1.0 * filterscale;
  Taps t;
  t.ksize = int(std::ceil(support)) * 2 + 1;
  t.first.resize(out_size);
  t.count.resize(out_size);
  t.weights.assign(size_t(out_size) * t.ksize, 0);
  std::vector<double> k(t.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;  // output pixel centre in input coordinates
    // (int)(v + 0.5) rounds as Pillow does (truncation towards zero, then clamped).
    const int xmin = std::max(int(center - support + 0.5), 0);
    const int xmax = std::min(int(center + support + 0.5), in_size) - xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      k[x] = triangle((x + xmin - center + 0.5) / filterscale);
      ww += k[x];
    }
    for (int x = 0; x < xmax; ++x) {
      const double w = ww != 0.0 ? k[x] / ww : k[x];
      // Round half away from zero into 22-bit fixed point (normalize_coeffs_8bpc).
      t.weights[size_t(xx) * t.ksize + x] = int32_t(w < 0 ? -0.5 + w * (1 << kPrecisionBits)
                                                           : 0.5 + w * (1 << kPrecisionBits));
    }
    t.first[xx] = xmin;
    t.count[xx] = xmax;
  }
  return t;
}

uint8_t clip8(int32_t sum) {  // sum already holds the rounding half
  const int32_t v = sum >> kPrecisionBits;
  return uint8_t(v < 0 ? 0 : v > 255 ? 255 : v);
}

// One separable pass along `axis` (1 = width, 0 = height) of an H x W x C image.
Image resample_pass(const Image& in, int out_size, int axis) {
  const int in_size = axis == 1 ? in.width : in.height;
  const Taps t = precompute_taps(in_size, out_size);
  Image out = Image::zeros8(axis == 0 ? out_size : in.height, axis == 1 ? out_size : in.width, in.channels);
  const int C = in.channels;
  // Distance in samples between neighbouring input pixels along the axis.
  const size_t step = axis == 1 ? size_t(C) : size_t(in.width) * C;
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      const int o = axis == 1 ? x : y;  // output index along the resampled axis
      const size_t base = axis == 1 ? (size_t(y) * in.width + t.first[o]) * C : (size_t(t.first[o]) * in.width + x) * C;
      const int32_t* w = &t.weights[size_t(o) * t.ksize];
      for (int c = 0; c < C; ++c) {
        int32_t sum = 1 << (kPrecisionBits - 1);
        for (int k = 0; k < t.count[o]; ++k) sum += int32_t(in.u8[base + k * step + c]) * w[k];
        out.u8[(size_t(y) * out.width + x) * C + c] = clip8(sum);
      }
    }
  }
  return out;
}

void check_8bit(const Image& im, const char* op) {
  UNIAD_CHECK(im.bit_depth == 8 && im.channels >= 1 && im.channels <= 4 && im.u8.size() == im.num_samples(), op,
              ": needs an 8-bit image with 1 to 4 channels, got ", im.height, " x ", im.width, " x ", im.channels,
              " at ", im.bit_depth, " bits");
}

void check_size(const Image& im, int height, int width, const char* op) {
  check_8bit(im, op);
  UNIAD_CHECK(height > 0 && width > 0 && im.height > 0 && im.width > 0, op, ": cannot resize ", im.height, " x ",
              im.width, " to ", height, " x ", width);
}

}  // namespace

Image resize_bilinear(const Image& image, int height, int width) {
  check_size(image, height, width, "resize_bilinear");
  // Horizontal first, then vertical, each only when that size changes (Pillow's order: the
  // 8-bit rounding in between makes the order visible in the last bit).
  Image out = image.width != width ? resample_pass(image, width, 1) : image;
  if (image.height != height) out = resample_pass(out, height, 0);
  return out;
}

Image resize_nearest(const Image& image, int height, int width) {
  check_size(image, height, width, "resize_nearest");
  // Source index of each output column and row: Pillow starts at half a step and accumulates
  // the step in double (ImagingScaleAffine); adding rather than multiplying is kept on purpose.
  auto table = [](int in_size, int out_size) {
    std::vector<int> index(out_size);
    const double step = double(in_size) / out_size;
    double pos = step * 0.5;
    for (int i = 0; i < out_size; ++i, pos += step) index[i] = std::min(int(pos), in_size - 1);
    return index;
  };
  const std::vector<int> xs = table(image.width, width), ys = table(image.height, height);
  Image out = Image::zeros8(height, width, image.channels);
  const int C = image.channels;
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < C; ++c) out.at(y, x, c) = image.at(ys[y], xs[x], c);
  return out;
}

Tensor to_normalized_tensor(const Image& rgb) {
  check_8bit(rgb, "to_normalized_tensor");
  UNIAD_CHECK(rgb.channels == 3, "to_normalized_tensor: needs RGB, got ", rgb.channels, " channels");
  const int H = rgb.height, W = rgb.width;
  Tensor out = Tensor::empty({3, H, W}, DType::Float32);  // [3, H, W], channel-first
  float* o = out.data<float>();
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x)
        o[(size_t(c) * H + y) * W + x] = (float(rgb.at(y, x, c)) / 255.0f - kImageNetMean[c]) / kImageNetStd[c];
  return out;
}

Tensor mask_to_tensor(const Image& grey) {
  check_8bit(grey, "mask_to_tensor");
  UNIAD_CHECK(grey.channels == 1, "mask_to_tensor: needs a grey mask, got ", grey.channels, " channels");
  Tensor out = Tensor::empty({grey.height, grey.width}, DType::Float32);  // [H, W]
  float* o = out.data<float>();
  for (size_t i = 0; i < grey.u8.size(); ++i) o[i] = grey.u8[i] > 0 ? 1.0f : 0.0f;
  return out;
}

namespace {
// out(y, x) = in(source(y, x)) for an output of out_h x out_w; `source` maps output
// coordinates to input coordinates.
template <typename Source>
Image remap(const Image& in, int out_h, int out_w, Source source) {
  check_8bit(in, "flip/rotate");
  Image out = Image::zeros8(out_h, out_w, in.channels);
  for (int y = 0; y < out_h; ++y)
    for (int x = 0; x < out_w; ++x) {
      const auto [sy, sx] = source(y, x);
      for (int c = 0; c < in.channels; ++c) out.at(y, x, c) = in.at(sy, sx, c);
    }
  return out;
}
}  // namespace

Image flip_horizontal(const Image& im) {
  return remap(im, im.height, im.width, [&](int y, int x) { return std::pair{y, im.width - 1 - x}; });
}
Image flip_vertical(const Image& im) {
  return remap(im, im.height, im.width, [&](int y, int x) { return std::pair{im.height - 1 - y, x}; });
}
// Counter-clockwise by 90 degrees: the top row becomes the left column, read bottom-up.
Image rotate90(const Image& im) {
  return remap(im, im.width, im.height, [&](int y, int x) { return std::pair{x, im.width - 1 - y}; });
}
Image rotate180(const Image& im) {
  return remap(im, im.height, im.width, [&](int y, int x) { return std::pair{im.height - 1 - y, im.width - 1 - x}; });
}
Image rotate270(const Image& im) {
  return remap(im, im.width, im.height, [&](int y, int x) { return std::pair{im.height - 1 - x, y}; });
}

}  // namespace uniad::data

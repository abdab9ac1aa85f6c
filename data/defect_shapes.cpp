// Soft weight maps for the defect shapes and the float helpers; see data/defect_shapes.h.
#include "data/defect_shapes.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace uniad::data::defect_detail {

RGBf to_float(const Image& rgb8) {
  RGBf out{rgb8.height, rgb8.width, std::vector<float>(rgb8.u8.begin(), rgb8.u8.end())};
  return out;
}

Blob draw_blob(Generator& gen, int height, int width, double r_lo, double r_hi, double aspect, double wobble) {
  Blob b;
  b.cx = uniform(gen, 0.15, 0.85) * width;
  b.cy = uniform(gen, 0.15, 0.85) * height;
  const double r = uniform(gen, r_lo, r_hi);
  const double ratio = std::sqrt(uniform(gen, 1.0, aspect));  // rx / ry = ratio^2, area kept
  b.rx = r * ratio;
  b.ry = r / ratio;
  b.angle = uniform(gen, 0, std::numbers::pi);
  for (int k = 0; k < 4; ++k) {
    b.amp[k] = uniform(gen, 0, wobble) / (1 + 0.5 * k);  // higher harmonics wobble less
    b.phase[k] = uniform(gen, 0, 2 * std::numbers::pi);
  }
  return b;
}

std::vector<float> blob_weight(const Blob& b, int height, int width) {
  std::vector<float> w(size_t(height) * width, 0.f);
  const double ca = std::cos(b.angle), sa = std::sin(b.angle), rbar = std::sqrt(b.rx * b.ry);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const double dx = x + 0.5 - b.cx, dy = y + 0.5 - b.cy;
      const double u = (ca * dx + sa * dy) / b.rx, v = (-sa * dx + ca * dy) / b.ry;
      const double phi = std::atan2(v, u);
      double outline = 1;
      for (int k = 0; k < 4; ++k) outline += b.amp[k] * std::cos((k + 2) * phi + b.phase[k]);
      // Signed distance to the outline, approximately, in pixels (exact for a circle).
      const double s = (outline - std::sqrt(u * u + v * v)) * rbar;
      w[size_t(y) * width + x] = float(smoothstep01(0.5 + s / b.feather));
    }
  }
  return w;
}

std::vector<float> stroke_weight(const Stroke& st, int height, int width) {
  // Sample the curve about once per pixel of length.
  const double chord = std::hypot(st.x[2] - st.x[0], st.y[2] - st.y[0]) + std::hypot(st.x[1] - st.x[0], st.y[1] - st.y[0]);
  const int n = std::max(16, int(std::ceil(chord)));
  std::vector<double> sx(n + 1), sy(n + 1), hw(n + 1);
  for (int i = 0; i <= n; ++i) {
    const double t = double(i) / n, a = (1 - t) * (1 - t), b = 2 * t * (1 - t), c = t * t;
    sx[i] = a * st.x[0] + b * st.x[1] + c * st.x[2];
    sy[i] = a * st.y[0] + b * st.y[1] + c * st.y[2];
    hw[i] = st.half_width * (0.35 + 0.65 * std::sqrt(std::sin(std::numbers::pi * t)));
  }
  const double reach = st.half_width + st.feather + 1;
  const int x0 = std::max(0, int(std::floor(*std::min_element(sx.begin(), sx.end()) - reach)));
  const int x1 = std::min(width, int(std::ceil(*std::max_element(sx.begin(), sx.end()) + reach)) + 1);
  const int y0 = std::max(0, int(std::floor(*std::min_element(sy.begin(), sy.end()) - reach)));
  const int y1 = std::min(height, int(std::ceil(*std::max_element(sy.begin(), sy.end()) + reach)) + 1);
  std::vector<float> w(size_t(height) * width, 0.f);
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) {
      double inside = -1e30;  // max over samples of (half width - distance)
      for (int i = 0; i <= n; ++i) inside = std::max(inside, hw[i] - std::hypot(x + 0.5 - sx[i], y + 0.5 - sy[i]));
      w[size_t(y) * width + x] = float(smoothstep01(0.5 + inside / st.feather));
    }
  }
  return w;
}

std::vector<float> crease_weight(const Crease& c, int height, int width, std::vector<float>& side) {
  std::vector<float> w(size_t(height) * width, 0.f);
  side.assign(w.size(), 0.f);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const double dx = x + 0.5 - c.px, dy = y + 0.5 - c.py;
      const double d = dx * c.nx + dy * c.ny, along = -dx * c.ny + dy * c.nx;
      double v = d >= 0 ? std::exp(-d / c.decay) : std::exp(d / (c.decay / 3));
      if (c.length > 0) v *= smoothstep01((c.length / 2 - std::abs(along)) / (0.25 * c.length));
      w[size_t(y) * width + x] = float(v);
      side[size_t(y) * width + x] = d >= 0 ? -1.f : 1.f;
    }
  }
  return w;
}

std::vector<float> smooth_field(Generator& gen, int height, int width, double period) {
  double kx[3], ky[3], ph[3];
  for (int i = 0; i < 3; ++i) {
    const double a = uniform(gen, 0, 2 * std::numbers::pi), k = 2 * std::numbers::pi / (period * uniform(gen, 0.7, 1.3));
    kx[i] = k * std::cos(a);
    ky[i] = k * std::sin(a);
    ph[i] = uniform(gen, 0, 2 * std::numbers::pi);
  }
  std::vector<float> f(size_t(height) * width);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      double s = 0;
      for (int i = 0; i < 3; ++i) s += std::cos(kx[i] * x + ky[i] * y + ph[i]);
      f[size_t(y) * width + x] = float((s / 3 + 1) / 2);
    }
  return f;
}

RGBf gaussian_blur(const RGBf& in, double sigma) {
  const int r = std::max(1, int(std::ceil(3 * sigma)));
  std::vector<float> k(2 * r + 1);
  float sum = 0;
  for (int i = -r; i <= r; ++i) sum += k[i + r] = float(std::exp(-0.5 * i * i / (sigma * sigma)));
  for (float& v : k) v /= sum;
  const int H = in.height, W = in.width;
  RGBf tmp{H, W, std::vector<float>(in.v.size())}, out = tmp;
  for (int y = 0; y < H; ++y)  // horizontal pass
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < 3; ++c) {
        float s = 0;
        for (int i = -r; i <= r; ++i) s += k[i + r] * in.at(y, std::clamp(x + i, 0, W - 1), c);
        tmp.at(y, x, c) = s;
      }
  for (int y = 0; y < H; ++y)  // vertical pass
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < 3; ++c) {
        float s = 0;
        for (int i = -r; i <= r; ++i) s += k[i + r] * tmp.at(std::clamp(y + i, 0, H - 1), x, c);
        out.at(y, x, c) = s;
      }
  return out;
}

}  // namespace uniad::data::defect_detail

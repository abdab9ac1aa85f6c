// The defect kinds of the texture benchmark; the shared blend, mask rule and visibility check.
// Contract in data/defects.h. Sizes are given at a 256 px crop and scale with the crop side.
#include "data/defects.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "data/defect_shapes.h"
#include "tensor/error.h"

namespace uniad::data {
using namespace defect_detail;

namespace {

constexpr const char* kNames[] = {"stain", "scratch", "fold", "hole", "patch", "color_shift", "blur"};
constexpr int kNumKinds = 7;

// What one draw proposes: the soft weight (H x W) and the fully defected target (H x W x 3).
struct Draft {
  std::vector<float> w;
  RGBf target;
  double sigma = 1;     // local grey std around the drawn shape
  double strength = 0;  // k as finally used (for holes: fill contrast in units of sigma)
};

// What every kind needs to know about the host crop.
struct Host {
  const Image& clean8;
  RGBf clean;
  int H, W;
  double scale;  // crop side / 256: sizes below are in pixels at 256
  float threshold;
  const Image* donor;

  double px(double at256, double min_px) const { return std::max(min_px, at256 * scale); }
  // Bounding box of the weights that will be drawn, grown by 8 px: where sigma is measured.
  double sigma(const std::vector<float>& w, bool chroma = false) const {
    const auto measure = chroma ? local_chroma_std : local_grey_std;
    int x0 = W, y0 = H, x1 = -1, y1 = -1;
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x)
        if (w[size_t(y) * W + x] > threshold) x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
    if (x1 < 0) return measure(clean8, 0, 0, W, H);
    return measure(clean8, std::max(0, x0 - 8), std::max(0, y0 - 8), std::min(W, x1 + 9), std::min(H, y1 + 9));
  }
  // Mean of channel c (or of all channels for c < 0) over the pixels that will be drawn.
  double mean(const RGBf& img, const std::vector<float>& w, int c) const {
    double s = 0;
    size_t n = 0;
    for (size_t p = 0; p < w.size(); ++p)
      if (w[p] > threshold) {
        s += c >= 0 ? img.v[p * 3 + c] : (img.v[p * 3] + img.v[p * 3 + 1] + img.v[p * 3 + 2]) / 3.0;
        ++n;
      }
    return n ? s / n : 0;
  }
};

// A unit-ish colour direction perpendicular to grey (hue angle h), scaled so that the mean
// |component| is 1: adding A * u changes each channel by A on average.
void hue_direction(double h, double u[3]) {
  const double e1[3] = {1 / std::sqrt(2.0), -1 / std::sqrt(2.0), 0};
  const double e2[3] = {1 / std::sqrt(6.0), 1 / std::sqrt(6.0), -2 / std::sqrt(6.0)};
  double m = 0;
  for (int c = 0; c < 3; ++c) m += std::abs(u[c] = std::cos(h) * e1[c] + std::sin(h) * e2[c]) / 3;
  for (int c = 0; c < 3; ++c) u[c] /= m;
}

// Lighter or darker, whichever has room for an amplitude A above the region's mean level.
double light_or_dark(Generator& gen, double mean_level, double amplitude) {
  double sign = gen.uniform() < 0.5 ? 1 : -1;
  if (sign > 0 && mean_level + amplitude > 250) sign = -1;
  if (sign < 0 && mean_level - amplitude < 5) sign = 1;
  return sign;
}

Draft draw_stain(const Host& h, Generator& gen, double k) {
  Blob b = draw_blob(gen, h.H, h.W, h.px(10, 3), h.px(40, 4), 2.0, 0.15);
  b.feather = std::max(1.0, uniform(gen, 0.3, 0.8) * std::sqrt(b.rx * b.ry));
  Draft d{blob_weight(b, h.H, h.W), h.clean};
  d.sigma = h.sigma(d.w);
  d.strength = k;
  const double A = k * d.sigma, m = h.mean(h.clean, d.w, -1);
  double v[3] = {1, 1, 1};
  const double style = gen.uniform();
  if (style < 0.35) {  // tinted: a hue plus a little darkening, like tea or rust
    hue_direction(uniform(gen, 0, 2 * std::numbers::pi), v);
    for (double& c : v) c = 0.7 * c - 0.5;
  } else {
    const double sign = light_or_dark(gen, m, A);
    for (double& c : v) c = sign;
  }
  const std::vector<float> mottle = smooth_field(gen, h.H, h.W, std::sqrt(b.rx * b.ry));
  for (size_t p = 0; p < d.w.size(); ++p)
    for (int c = 0; c < 3; ++c) d.target.v[p * 3 + c] += float(A * (0.7 + 0.6 * mottle[p]) * v[c]);
  return d;
}

Draft draw_scratch(const Host& h, Generator& gen, double k) {
  Stroke st;
  const double side = std::min(h.H, h.W), len = uniform(gen, 0.3, 0.8) * side, a = uniform(gen, 0, std::numbers::pi);
  const double cx = uniform(gen, 0.2, 0.8) * h.W, cy = uniform(gen, 0.2, 0.8) * h.H, bend = uniform(gen, -0.2, 0.2) * len;
  const double dx = std::cos(a) * len / 2, dy = std::sin(a) * len / 2;
  st.x[0] = cx - dx, st.y[0] = cy - dy, st.x[2] = cx + dx, st.y[2] = cy + dy;
  st.x[1] = cx - std::sin(a) * bend, st.y[1] = cy + std::cos(a) * bend;
  st.half_width = h.px(uniform(gen, 3, 6), 1.5);  // mask 6-12 px wide at 256
  st.feather = h.px(1.5, 1.0);
  Draft d{stroke_weight(st, h.H, h.W), h.clean};
  d.sigma = h.sigma(d.w);
  d.strength = k;
  const double A = k * d.sigma, sign = light_or_dark(gen, h.mean(h.clean, d.w, -1), A);
  const std::vector<float> along = smooth_field(gen, h.H, h.W, len / 3);  // pressure varies
  for (size_t p = 0; p < d.w.size(); ++p)
    for (int c = 0; c < 3; ++c) d.target.v[p * 3 + c] += float(sign * A * (0.8 + 0.4 * along[p]));
  return d;
}

Draft draw_fold(const Host& h, Generator& gen, double k) {
  Crease cr;
  const double a = uniform(gen, 0, 2 * std::numbers::pi), side = std::min(h.H, h.W);
  cr.px = uniform(gen, 0.2, 0.8) * h.W, cr.py = uniform(gen, 0.2, 0.8) * h.H;
  cr.nx = std::cos(a), cr.ny = std::sin(a);
  cr.decay = h.px(uniform(gen, 12, 30), 2);  // shadow ~0.7 decay wide where drawn (w > 0.5)
  cr.length = gen.uniform() < 0.5 ? 0 : uniform(gen, 0.5, 0.9) * side;
  std::vector<float> shade;
  Draft d{crease_weight(cr, h.H, h.W, shade), h.clean};
  d.sigma = h.sigma(d.w);
  d.strength = k;
  const double A = k * d.sigma;
  for (size_t p = 0; p < d.w.size(); ++p)
    for (int c = 0; c < 3; ++c) d.target.v[p * 3 + c] += float(A * (shade[p] < 0 ? -1.0 : 0.7));
  return d;
}

Draft draw_hole(const Host& h, Generator& gen, double) {
  Blob b = draw_blob(gen, h.H, h.W, h.px(6, 3), h.px(20, 4), 1.8, 0.3);  // torn outline
  b.feather = 1.2;                                                    // a cut edge
  Draft d{blob_weight(b, h.H, h.W), h.clean};
  d.sigma = h.sigma(d.w);
  const double m = h.mean(h.clean, d.w, -1);
  // What shows through: a dark table under a light sheet, a light one under a dark sheet.
  const double base = m > 100 ? uniform(gen, 10, 40) : uniform(gen, 215, 245);
  double tint[3];
  for (double& t : tint) t = base + uniform(gen, -4, 4);
  const double ga = uniform(gen, 0, 2 * std::numbers::pi), gx = std::cos(ga), gy = std::sin(ga);
  for (int y = 0; y < h.H; ++y)
    for (int x = 0; x < h.W; ++x) {
      const double ramp = 6 * ((x - b.cx) * gx + (y - b.cy) * gy) / std::max(b.rx, b.ry);  // soft shading
      const double noise = 1.5 * gen.normal();
      for (int c = 0; c < 3; ++c) d.target.at(y, x, c) = float(tint[c] + ramp + noise);
    }
  d.strength = std::abs(base - m) / d.sigma;
  return d;
}

Draft draw_patch(const Host& h, Generator& gen, double k) {
  UNIAD_CHECK(h.donor != nullptr, "make_defect: 'patch' needs a donor crop of another texture");
  UNIAD_CHECK(h.donor->height == h.H && h.donor->width == h.W && h.donor->channels == 3 && h.donor->bit_depth == 8,
              "make_defect: 'patch' donor is ", h.donor->height, " x ", h.donor->width, " x ", h.donor->channels,
              ", the host crop ", h.H, " x ", h.W, " x 3");
  Blob b = draw_blob(gen, h.H, h.W, h.px(16, 4), h.px(40, 6), 2.0, 0.12);
  b.feather = h.px(2, 1);
  Draft d{blob_weight(b, h.H, h.W), to_float(*h.donor)};
  d.sigma = h.sigma(d.w);
  d.strength = k;
  // Match each channel of the donor to the host's mean and std under the patch (std times k).
  for (int c = 0; c < 3; ++c) {
    const double mh = h.mean(h.clean, d.w, c), md = h.mean(d.target, d.w, c);
    double vh = 0, vd = 0, n = 0;
    for (size_t p = 0; p < d.w.size(); ++p)
      if (d.w[p] > h.threshold) {
        vh += std::pow(h.clean.v[p * 3 + c] - mh, 2), vd += std::pow(d.target.v[p * 3 + c] - md, 2), n += 1;
      }
    const double gain = k * std::sqrt(vh / std::max(n, 1.0)) / std::max(0.5, std::sqrt(vd / std::max(n, 1.0)));
    for (size_t p = 0; p < d.w.size(); ++p) d.target.v[p * 3 + c] = float((d.target.v[p * 3 + c] - md) * gain + mh);
  }
  return d;
}

Draft draw_color_shift(const Host& h, Generator& gen, double k) {
  Blob b = draw_blob(gen, h.H, h.W, h.px(18, 4), h.px(45, 6), 2.0, 0.15);
  b.feather = std::max(1.0, uniform(gen, 0.3, 0.7) * std::sqrt(b.rx * b.ry));
  Draft d{blob_weight(b, h.H, h.W), h.clean};
  // Paper scans vary in grey far more than in colour (chroma std 0.2-5 levels against grey std
  // 3-23), so a tint is measured against the chroma std, with a floor for near-grey paper.
  d.sigma = std::max(3.0, h.sigma(d.w, true));
  d.strength = k;
  const double turn = uniform(gen, 10, 35) * (gen.uniform() < 0.5 ? -1 : 1) * std::numbers::pi / 180;
  const double sat = gen.uniform() < 0.5 ? uniform(gen, 0.55, 0.8) : uniform(gen, 1.2, 1.5);
  double tint[3];
  hue_direction(uniform(gen, 0, 2 * std::numbers::pi), tint);  // so that grey paper shifts too
  const double cs = std::cos(turn), sn = std::sin(turn) / std::sqrt(3.0), A = k * d.sigma;
  for (size_t p = 0; p < d.w.size(); ++p) {
    float* t = &d.target.v[p * 3];
    const double m = (t[0] + t[1] + t[2]) / 3, v[3] = {sat * (t[0] - m), sat * (t[1] - m), sat * (t[2] - m)};
    // Rotation of the chroma v (perpendicular to grey) about the grey axis: v cos + (g x v) sin.
    const double cross[3] = {v[2] - v[1], v[0] - v[2], v[1] - v[0]};
    for (int c = 0; c < 3; ++c) t[c] = float(m + v[c] * cs + cross[c] * sn + A * tint[c]);
  }
  return d;
}

Draft draw_blur(const Host& h, Generator& gen, double k) {
  Blob b = draw_blob(gen, h.H, h.W, h.px(18, 4), h.px(45, 6), 2.0, 0.15);
  b.feather = std::max(1.0, 0.2 * std::sqrt(b.rx * b.ry));
  Draft d{blob_weight(b, h.H, h.W), {}};
  d.sigma = h.sigma(d.w);
  d.strength = k;
  d.target = gaussian_blur(h.clean, std::min(h.px(k, 0.8), 0.25 * std::min(h.H, h.W)));
  return d;
}

}  // namespace

const char* defect_name(DefectKind kind) { return kNames[int(kind)]; }

DefectKind parse_defect_kind(const std::string& name) {
  std::string known;
  for (int i = 0; i < kNumKinds; ++i) {
    if (name == kNames[i]) return DefectKind(i);
    known += std::string(i ? ", " : "") + kNames[i];
  }
  throw Error(cat("unknown defect kind '", name, "' (known: ", known, ")"));
}

std::vector<DefectKind> all_defect_kinds() {
  std::vector<DefectKind> out;
  for (int i = 0; i < kNumKinds; ++i) out.push_back(DefectKind(i));
  return out;
}

void defect_strength_range(DefectKind kind, double& lo, double& hi) {
  switch (kind) {
    case DefectKind::Stain: lo = 1.5, hi = 3.5; return;       // amplitude k sigma
    case DefectKind::Scratch: lo = 1.5, hi = 3.5; return;     // amplitude k sigma
    case DefectKind::Fold: lo = 1.5, hi = 3.0; return;        // shadow depth k sigma
    case DefectKind::Hole: lo = 1.0, hi = 1.0; return;        // fixed fill; k unused
    case DefectKind::Patch: lo = 1.0, hi = 1.3; return;       // donor std = k * host std
    case DefectKind::ColorShift: lo = 1.5, hi = 3.0; return;  // tint k chroma sigma (plus hue, saturation)
    case DefectKind::Blur: lo = 2.0, hi = 4.0; return;        // Gaussian std k px (at 256)
  }
  lo = hi = 1;
}

namespace {
// RMS over 16 x 16 blocks of the std of value(y, x); at least 1.
template <typename Value>
double block_rms_std(int x0, int y0, int x1, int y1, int components, Value value) {
  double sum_var = 0;
  int blocks = 0;
  for (int by = y0; by < y1; by += 16)
    for (int bx = x0; bx < x1; bx += 16) {
      const int ey = std::min(y1, by + 16), ex = std::min(x1, bx + 16);
      if ((ey - by) * (ex - bx) < 16) continue;  // a sliver at the edge says little
      const double n = (ey - by) * (ex - bx);
      for (int c = 0; c < components; ++c) {
        double s = 0, s2 = 0;
        for (int y = by; y < ey; ++y)
          for (int x = bx; x < ex; ++x) {
            const double v = value(y, x, c);
            s += v, s2 += v * v;
          }
        sum_var += std::max(0.0, s2 / n - (s / n) * (s / n)) / components;
      }
      ++blocks;
    }
  return std::max(1.0, blocks ? std::sqrt(sum_var / blocks) : 0.0);
}
}  // namespace

double local_grey_std(const Image& rgb, int x0, int y0, int x1, int y1) {
  return block_rms_std(x0, y0, x1, y1, 1, [&](int y, int x, int) {
    return 0.299 * rgb.at(y, x, 0) + 0.587 * rgb.at(y, x, 1) + 0.114 * rgb.at(y, x, 2);
  });
}

double local_chroma_std(const Image& rgb, int x0, int y0, int x1, int y1) {
  return block_rms_std(x0, y0, x1, y1, 3, [&](int y, int x, int c) {
    return rgb.at(y, x, c) - (rgb.at(y, x, 0) + rgb.at(y, x, 1) + rgb.at(y, x, 2)) / 3.0;
  });
}

Defect make_defect(const Image& clean, DefectKind kind, Generator& gen, const DefectOptions& opt) {
  UNIAD_CHECK(clean.channels == 3 && clean.bit_depth == 8 && clean.height >= 16 && clean.width >= 16,
              "make_defect: want an 8-bit RGB crop of at least 16 x 16, got ", clean.height, " x ", clean.width, " x ",
              clean.channels, " (", clean.bit_depth, " bit)");
  const int H = clean.height, W = clean.width;
  const Host host{clean, to_float(clean), H, W, std::min(H, W) / 256.0, float(opt.mask_threshold), opt.donor};
  const int min_area = std::max(9, H * W / 1000);
  double lo, hi;
  defect_strength_range(kind, lo, hi);
  for (int attempt = 1; attempt <= opt.max_attempts; ++attempt) {
    // Each redraw is a new shape, a bit stronger (up to 4x after 10 attempts).
    const double k = uniform(gen, lo, hi) * std::pow(1.15, std::min(attempt - 1, 10));
    Draft d;
    switch (kind) {
      case DefectKind::Stain: d = draw_stain(host, gen, k); break;
      case DefectKind::Scratch: d = draw_scratch(host, gen, k); break;
      case DefectKind::Fold: d = draw_fold(host, gen, k); break;
      case DefectKind::Hole: d = draw_hole(host, gen, k); break;
      case DefectKind::Patch: d = draw_patch(host, gen, k); break;
      case DefectKind::ColorShift: d = draw_color_shift(host, gen, k); break;
      case DefectKind::Blur: d = draw_blur(host, gen, k); break;
    }
    // The blend and the mask rule: weights at or below the threshold are not drawn at all.
    Defect out{clean, Image::zeros8(H, W, 1), kind, d.strength, d.sigma};
    double sum_rgb = 0, sum_grey = 0;
    int changed = 0;
    for (size_t p = 0; p < size_t(H) * W; ++p) {
      const float w = d.w[p];
      if (!(w > host.threshold)) continue;
      out.mask.u8[p] = 255;
      ++out.mask_area;
      int dgrey = 0, drgb = 0;
      for (int c = 0; c < 3; ++c) {
        const float before = host.clean.v[p * 3 + c];
        const int after = int(std::clamp(std::lround(before + w * (d.target.v[p * 3 + c] - before)), 0L, 255L));
        out.image.u8[p * 3 + c] = uint8_t(after);
        const int delta = after - int(before);
        drgb += std::abs(delta);
        dgrey += (c == 0 ? 19595 : c == 1 ? 38470 : 7471) * delta;
      }
      sum_rgb += drgb / 3.0;
      sum_grey += std::abs(dgrey) / 65536.0;
      changed += drgb > 0;
    }
    if (out.mask_area < min_area) continue;
    out.visible_change = sum_rgb / out.mask_area;
    out.grey_change = sum_grey / out.mask_area;
    out.changed_fraction = double(changed) / out.mask_area;
    out.attempts = attempt;
    if (out.visible_change >= opt.min_visible) return out;
  }
  throw Error(cat("make_defect: no visible '", defect_name(kind), "' in ", opt.max_attempts,
                  " draws (mean change below ", opt.min_visible, " levels; the texture may be too flat for it)"));
}

}  // namespace uniad::data

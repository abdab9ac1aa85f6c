#include "uniad/heatmap.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "data/resize.h"
#include "tensor/error.h"

namespace uniad {

namespace {

// matplotlib's _jet_data: per channel, breakpoints (x, value below, value above).
struct Breakpoint {
  double x, y0, y1;
};
struct Segments {
  Breakpoint points[6];
  int count;
};
constexpr Segments kJetRed = {{{0.00, 0, 0}, {0.35, 0, 0}, {0.66, 1, 1}, {0.89, 1, 1}, {1.00, 0.5, 0.5}}, 5};
constexpr Segments kJetGreen = {
    {{0.000, 0, 0}, {0.125, 0, 0}, {0.375, 1, 1}, {0.640, 1, 1}, {0.910, 0, 0}, {1.000, 0, 0}}, 6};
constexpr Segments kJetBlue = {{{0.00, 0.5, 0.5}, {0.11, 1, 1}, {0.34, 1, 1}, {0.65, 0, 0}, {1.00, 0, 0}}, 5};

constexpr int kJetLevels = 256;  // matplotlib's default colormap size N

// One channel of the lookup table, with the arithmetic of matplotlib's _create_lookup_table
// (x scaled by N - 1, numpy's linspace sample points, searchsorted side='left'), so that the
// 8-bit colours below truncate exactly as matplotlib's cmap(t, bytes=True) does. Evaluated at
// compile time on purpose: at run time the compiler may fuse x1 * n1 - x0 into one FMA, which
// rounds differently and turns two of numpy's 124.99999... into 125.
constexpr std::array<double, kJetLevels> jet_channel(const Segments& s) {
  std::array<double, kJetLevels> lut{};
  const double n1 = kJetLevels - 1, step = 1.0 / n1;
  lut[0] = s.points[0].y1;
  lut[kJetLevels - 1] = s.points[s.count - 1].y0;
  for (int i = 1; i < kJetLevels - 1; ++i) {
    const double xi = n1 * (i * step);
    int k = 0;
    while (s.points[k].x * n1 < xi) ++k;  // first breakpoint at or after xi
    const Breakpoint &p0 = s.points[k - 1], &p1 = s.points[k];
    const double x0 = p0.x * n1, x1 = p1.x * n1;
    const double distance = (xi - x0) / (x1 - x0);
    lut[i] = std::clamp(distance * (p1.y0 - p0.y1) + p0.y1, 0.0, 1.0);
  }
  return lut;
}

// The 8-bit jet table, [256][3]: value * 255 truncated, as numpy's astype(uint8) does.
constexpr std::array<std::array<uint8_t, 3>, kJetLevels> make_jet_table() {
  const std::array<double, kJetLevels> r = jet_channel(kJetRed), g = jet_channel(kJetGreen), b = jet_channel(kJetBlue);
  std::array<std::array<uint8_t, 3>, kJetLevels> t{};
  for (int i = 0; i < kJetLevels; ++i) t[i] = {uint8_t(r[i] * 255), uint8_t(g[i] * 255), uint8_t(b[i] * 255)};
  return t;
}
constexpr std::array<std::array<uint8_t, 3>, kJetLevels> kJetTable = make_jet_table();

void check_rgb8(const data::Image& rgb, const char* op) {
  UNIAD_CHECK(rgb.channels == 3 && rgb.bit_depth == 8, op, ": rgb must be 8-bit RGB, got ", rgb.height, "x", rgb.width,
              "x", rgb.channels, " at ", rgb.bit_depth, " bits");
  UNIAD_CHECK(rgb.u8.size() == rgb.num_samples(), op, ": rgb holds ", rgb.u8.size(), " samples for ", rgb.height,
              "x", rgb.width, "x3");
}

// Copies an S x S RGB panel into `out` with its left edge at column x0.
void paste(data::Image& out, const data::Image& panel, int x0) {
  for (int y = 0; y < panel.height; ++y)
    std::copy_n(&panel.u8[size_t(y) * panel.width * 3], size_t(panel.width) * 3, &out.at(y, x0, 0));
}

// Red on every mask pixel that has a 4-neighbour outside the mask (the image border counts as
// outside, so a defect touching the border is still closed).
void draw_outline(data::Image& panel, std::span<const uint8_t> mask, int size) {
  auto inside = [&](int y, int x) {
    return y >= 0 && x >= 0 && y < size && x < size && mask[size_t(y) * size + x] != 0;
  };
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      if (!inside(y, x)) continue;
      if (inside(y - 1, x) && inside(y + 1, x) && inside(y, x - 1) && inside(y, x + 1)) continue;
      panel.at(y, x, 0) = 255;
      panel.at(y, x, 1) = 0;
      panel.at(y, x, 2) = 0;
    }
}

// numpy's default (linear) percentile of values sorted in place partially: q in [0, 1].
float percentile(std::vector<float>& v, double q) {
  const double pos = q * double(v.size() - 1);
  const size_t below = size_t(std::floor(pos));
  std::nth_element(v.begin(), v.begin() + below, v.end());
  const float a = v[below];
  if (below + 1 >= v.size()) return a;
  const float b = *std::min_element(v.begin() + below + 1, v.end());  // the next order statistic
  return float(a + (pos - double(below)) * (double(b) - a));
}

}  // namespace

void jet_color(float t, uint8_t rgb[3]) {
  // As matplotlib's Colormap.__call__: index floor(t * N), with t == 1 the last entry.
  const float clamped = std::isnan(t) ? 0.0f : std::clamp(t, 0.0f, 1.0f);
  const int index = std::min(int(clamped * kJetLevels), kJetLevels - 1);
  const auto& c = kJetTable[index];
  rgb[0] = c[0];
  rgb[1] = c[1];
  rgb[2] = c[2];
}

data::Image colorize_map(std::span<const float> map, int h, int w, float lo, float hi) {
  UNIAD_CHECK(h > 0 && w > 0, "colorize_map: size must be positive, got ", h, "x", w);
  UNIAD_CHECK(map.size() == size_t(h) * w, "colorize_map: map holds ", map.size(), " values, expected ", h, "x", w);
  const float span = hi > lo ? hi - lo : 1e-6f;  // a flat scale paints everything at or below lo blue
  data::Image out = data::Image::zeros8(h, w, 3);  // [h, w, 3]
  for (size_t p = 0; p < map.size(); ++p) jet_color((map[p] - lo) / span, &out.u8[p * 3]);
  return out;
}

data::Image heatmap_composite(const data::Image& rgb, std::span<const uint8_t> mask, std::span<const float> map,
                              int size, float lo, float hi) {
  UNIAD_CHECK(size > 0, "heatmap_composite: size must be positive, got ", size);
  check_rgb8(rgb, "heatmap_composite");
  const size_t plane = size_t(size) * size;
  UNIAD_CHECK(map.size() == plane, "heatmap_composite: map holds ", map.size(), " values, expected ", size, "x", size);
  UNIAD_CHECK(mask.empty() || mask.size() == plane, "heatmap_composite: mask holds ", mask.size(),
              " values, expected 0 (no mask) or ", size, "x", size);

  const data::Image image = rgb.height == size && rgb.width == size ? rgb : data::resize_bilinear(rgb, size, size);
  data::Image outlined = image;
  if (!mask.empty()) draw_outline(outlined, mask, size);
  data::Image blended = colorize_map(map, size, size, lo, hi);
  for (size_t i = 0; i < blended.u8.size(); ++i)  // alpha 0.5, rounded half up
    blended.u8[i] = uint8_t((unsigned(image.u8[i]) + blended.u8[i] + 1) / 2);

  constexpr int kGap = 4;
  data::Image out = data::Image::zeros8(size, 3 * size + 2 * kGap, 3, 255);  // [S, 3S + 8, 3], white gaps
  paste(out, image, 0);
  paste(out, outlined, size + kGap);
  paste(out, blended, 2 * (size + kGap));
  return out;
}

HeatmapScale heatmap_scale(std::span<const float> maps) {
  std::vector<float> values;  // the finite ones: a NaN would make nth_element's order meaningless
  values.reserve(maps.size());
  for (float v : maps)
    if (std::isfinite(v)) values.push_back(v);
  if (values.empty()) return {};
  HeatmapScale s;
  s.lo = percentile(values, 0.01);
  s.hi = percentile(values, 0.999);
  // A flat scale still needs hi > lo; nextafter covers an lo so large that adding 1e-6 is lost.
  if (!(s.hi > s.lo)) s.hi = std::max(s.lo + 1e-6f, std::nextafter(s.lo, INFINITY));
  return s;
}

data::Image load_rgb_resized(const std::string& path, int size) {
  UNIAD_CHECK(size > 0, "load_rgb_resized: ", path, ": size must be positive, got ", size);
  data::Image rgb = data::to_rgb8(data::decode_image(path));
  if (rgb.height != size || rgb.width != size) rgb = data::resize_bilinear(rgb, size, size);
  return rgb;
}

}  // namespace uniad

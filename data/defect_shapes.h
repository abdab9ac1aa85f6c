#pragma once
// Geometry and pixel helpers behind data/defects.h: soft weight maps for irregular blobs, curves
// and creases, a float RGB image, and a separable Gaussian blur. Weight maps are H x W floats in
// [0, 1], row-major; 0.5 marks the shape's outline (the mask rule in defects.h cuts there).
#include <vector>

#include "data/image.h"
#include "tensor/random.h"

namespace uniad::data::defect_detail {

// H x W x 3 floats, interleaved like Image.
struct RGBf {
  int height = 0, width = 0;
  std::vector<float> v;  // [H, W, 3]
  float& at(int y, int x, int c) { return v[(size_t(y) * width + x) * 3 + c]; }
  float at(int y, int x, int c) const { return v[(size_t(y) * width + x) * 3 + c]; }
};
RGBf to_float(const Image& rgb8);

// An irregular ellipse: radius rbar, axis ratio up to `aspect`, outline wobbling by up to
// `wobble` (relative) through 4 angular harmonics, centre drawn in the middle 70% of the image.
struct Blob {
  double cx = 0, cy = 0, rx = 1, ry = 1, angle = 0;
  double amp[4] = {0, 0, 0, 0}, phase[4] = {0, 0, 0, 0};  // harmonics 2..5
  double feather = 1;  // px over which the weight goes from 0 to 1 across the outline
};
Blob draw_blob(Generator& gen, int height, int width, double r_lo, double r_hi, double aspect, double wobble);
// Weight: smoothstep(0.5 + s / feather), s = signed distance to the outline (positive inside).
std::vector<float> blob_weight(const Blob& blob, int height, int width);

// A quadratic Bezier stroke p0 -> p2 bent towards p1, half width `half_width` in the middle
// narrowing to 35% at the ends; edge softness `feather` px as for blobs.
struct Stroke {
  double x[3] = {0, 0, 0}, y[3] = {0, 0, 0};
  double half_width = 3, feather = 1.5;
};
std::vector<float> stroke_weight(const Stroke& stroke, int height, int width);

// A crease through (px, py) with unit normal (nx, ny): weight exp(-d / decay) on the shadow side
// (d > 0), exp(d / (decay / 3)) on the ridge side, times a taper when the crease has finite
// `length` (<= 0: crosses the whole image). `side` (H x W) gets -1 shadow, +1 ridge.
struct Crease {
  double px = 0, py = 0, nx = 1, ny = 0, decay = 8, length = 0;
};
std::vector<float> crease_weight(const Crease& crease, int height, int width, std::vector<float>& side);

// A smooth random field in [0, 1] (three random plane waves of wavelength ~ `period` px).
std::vector<float> smooth_field(Generator& gen, int height, int width, double period);

// Separable Gaussian blur (std `sigma` px, taps to 3 sigma, edges clamped).
RGBf gaussian_blur(const RGBf& image, double sigma);

inline double uniform(Generator& gen, double lo, double hi) { return lo + (hi - lo) * gen.uniform(); }
inline double smoothstep01(double t) {
  t = t < 0 ? 0 : (t > 1 ? 1 : t);
  return t * t * (3 - 2 * t);
}

}  // namespace uniad::data::defect_detail

// Heat-map pictures (uniad/heatmap.h): the jet colours, the composite's layout, the mask outline,
// the blend, the shared colour scale and the errors.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "data/resize.h"
#include "test_util.h"
#include "uniad/heatmap.h"

using namespace uniad;
using uniad::test::contains;
using uniad::test::error_of;

namespace {

struct Rgb {
  int r, g, b;
};

Rgb jet(float t) {
  uint8_t c[3];
  jet_color(t, c);
  return {c[0], c[1], c[2]};
}

void check_rgb(const std::string& what, Rgb got, Rgb want) {
  const int worst = std::max({std::abs(got.r - want.r), std::abs(got.g - want.g), std::abs(got.b - want.b)});
  MESSAGE(what, ": got (", got.r, ", ", got.g, ", ", got.b, ") want (", want.r, ", ", want.g, ", ", want.b,
          "), max |diff| ", worst);
  CHECK(worst == 0);
}

Rgb pixel(const data::Image& im, int y, int x) { return {im.at(y, x, 0), im.at(y, x, 1), im.at(y, x, 2)}; }

// A grey S x S picture with a little texture, so a copy and a blend can be told apart.
data::Image test_image(int size) {
  data::Image im = data::Image::zeros8(size, size, 3);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x)
      for (int c = 0; c < 3; ++c) im.at(y, x, c) = uint8_t(60 + 3 * x + 2 * y + 10 * c);
  return im;
}

}  // namespace

// matplotlib's cm.jet(t, bytes=True): the 256-entry table of _create_lookup_table over _jet_data,
// scaled by 255 and truncated. Derived from the segment data, e.g. at t = 0.5 (entry 128, x =
// 128/255): red (x - 0.35) / 0.31 = 0.4902 -> 124 (125/255 minus rounding, truncated), green 1,
// blue 1 - (x - 0.34) / 0.31 = 0.4775 -> 121. matplotlib's float value there is
// (0.4901960784313725, 1.0, 0.4775458570524984).
TEST_CASE("jet_color matches matplotlib's jet at the ends, the middle and the quarters") {
  check_rgb("t=0", jet(0.0f), {0, 0, 127});
  check_rgb("t=1", jet(1.0f), {127, 0, 0});
  check_rgb("t=0.5", jet(0.5f), {124, 255, 121});
  check_rgb("t=0.25", jet(0.25f), {0, 128, 255});
  check_rgb("t=0.75", jet(0.75f), {255, 148, 0});
  check_rgb("t=0.38", jet(0.38f), {24, 255, 221});  // entry 97: 24.99999... truncated
  check_rgb("t=0.1", jet(0.1f), {0, 0, 241});
  check_rgb("t=0.9", jet(0.9f), {241, 7, 0});
  check_rgb("t=-3 clamps to 0", jet(-3.0f), {0, 0, 127});
  check_rgb("t=7 clamps to 1", jet(7.0f), {127, 0, 0});
  check_rgb("t=NaN paints as 0", jet(NAN), {0, 0, 127});
}

TEST_CASE("colorize_map maps lo to the first jet colour and hi to the last") {
  const std::vector<float> map = {2.0f, 4.0f, 3.0f, 10.0f};  // [2, 2]
  const data::Image im = colorize_map(map, 2, 2, 2.0f, 4.0f);
  REQUIRE(im.height == 2);
  REQUIRE(im.width == 2);
  REQUIRE(im.channels == 3);
  check_rgb("lo", pixel(im, 0, 0), jet(0.0f));
  check_rgb("hi", pixel(im, 0, 1), jet(1.0f));
  check_rgb("middle", pixel(im, 1, 0), jet(0.5f));
  check_rgb("above hi", pixel(im, 1, 1), jet(1.0f));
}

TEST_CASE("heatmap_composite is three panels with white gaps and the image first") {
  const int S = 16;
  const data::Image image = test_image(S);
  const std::vector<float> map(S * S, 0.0f);
  const data::Image out = heatmap_composite(image, {}, map, S, 0.0f, 1.0f);
  REQUIRE(out.height == S);
  REQUIRE(out.width == 3 * S + 8);
  REQUIRE(out.channels == 3);
  int non_white = 0, panel_diffs = 0;
  for (int y = 0; y < S; ++y) {
    for (int x : {S, S + 1, S + 2, S + 3, 2 * S + 4, 2 * S + 5, 2 * S + 6, 2 * S + 7})
      for (int c = 0; c < 3; ++c) non_white += out.at(y, x, c) != 255;
    for (int x = 0; x < S; ++x)
      for (int c = 0; c < 3; ++c) {
        panel_diffs += out.at(y, x, c) != image.at(y, x, c);          // panel 1: the image
        panel_diffs += out.at(y, S + 4 + x, c) != image.at(y, x, c);  // panel 2: no mask, no outline
      }
  }
  MESSAGE("non-white gap samples: ", non_white, ", samples differing from the image in panels 1-2: ", panel_diffs);
  CHECK(non_white == 0);
  CHECK(panel_diffs == 0);
}

TEST_CASE("heatmap_composite resizes an image of another size as data/resize does") {
  const int S = 12;
  const data::Image big = test_image(30);
  const std::vector<float> map(S * S, 0.0f);
  const data::Image out = heatmap_composite(big, {}, map, S, 0.0f, 1.0f);
  const data::Image want = data::resize_bilinear(big, S, S);
  int diffs = 0;
  for (int y = 0; y < S; ++y)
    for (int x = 0; x < S; ++x)
      for (int c = 0; c < 3; ++c) diffs += out.at(y, x, c) != want.at(y, x, c);
  MESSAGE("samples differing from resize_bilinear: ", diffs);
  CHECK(out.width == 3 * S + 8);
  CHECK(diffs == 0);
}

TEST_CASE("heatmap_composite outlines the mask in red on its boundary pixels only") {
  const int S = 16;
  const data::Image image = test_image(S);  // no pure red anywhere: red is 60..159
  std::vector<uint8_t> mask(S * S, 0);
  for (int y = 4; y < 10; ++y)  // a 6 x 5 rectangle: 2*6 + 2*5 - 4 = 18 boundary pixels
    for (int x = 3; x < 8; ++x) mask[y * S + x] = 1;
  mask[12 * S + 12] = 1;         // an isolated pixel: its own boundary
  mask[0] = mask[1] = 1;         // two pixels on the image border: both are boundary
  mask[S * S - 1] = 255;         // any non-zero value is defect
  const int expected = 18 + 1 + 2 + 1;
  const std::vector<float> map(S * S, 0.0f);
  const data::Image out = heatmap_composite(image, mask, map, S, 0.0f, 1.0f);
  int red = 0, wrong = 0;
  for (int y = 0; y < S; ++y)
    for (int x = 0; x < S; ++x) {
      const Rgb p = pixel(out, y, S + 4 + x);
      const bool is_red = p.r == 255 && p.g == 0 && p.b == 0;
      red += is_red;
      const bool interior = y > 4 && y < 9 && x > 3 && x < 7;
      const bool boundary = mask[y * S + x] != 0 && !interior;
      if (is_red != boundary) ++wrong;
      if (!is_red) {
        const Rgb want = pixel(image, y, x);
        wrong += p.r != want.r || p.g != want.g || p.b != want.b;
      }
    }
  MESSAGE("red pixels: ", red, " (expected ", expected, "), misplaced or altered: ", wrong);
  CHECK(red == expected);
  CHECK(wrong == 0);
}

TEST_CASE("heatmap_composite blends the jet map at alpha 0.5 and differs where the map is hot") {
  const int S = 8;
  const data::Image image = test_image(S);
  std::vector<float> map(S * S, 0.0f);
  for (int y = 2; y < 5; ++y)
    for (int x = 2; x < 5; ++x) map[y * S + x] = 1.0f;
  const data::Image out = heatmap_composite(image, {}, map, S, 0.0f, 1.0f);
  int worst = 0;
  for (int y = 0; y < S; ++y)
    for (int x = 0; x < S; ++x) {
      uint8_t c[3];
      jet_color(map[y * S + x], c);
      for (int k = 0; k < 3; ++k) {
        const int want = (image.at(y, x, k) + c[k] + 1) / 2;
        worst = std::max(worst, std::abs(out.at(y, x + 2 * S + 8, k) - want));
      }
    }
  MESSAGE("blend: max |diff| against (image + jet + 1) / 2 = ", worst);
  CHECK(worst == 0);
  // The same image pixel under a hot and a cold map value: hot is reddish, cold bluish.
  const Rgb hot = pixel(out, 3, 3 + 2 * S + 8), cold = pixel(out, 3, 6 + 2 * S + 8);
  MESSAGE("hot (", hot.r, ", ", hot.g, ", ", hot.b, ") cold (", cold.r, ", ", cold.g, ", ", cold.b, ")");
  CHECK(hot.r > cold.r + 30);
  CHECK(cold.b > hot.b + 30);
}

TEST_CASE("heatmap_scale takes the 1st and 99.9th percentiles as numpy does") {
  std::vector<float> ramp(1000);  // 0, 1, ..., 999, shuffled so the selection has work to do
  std::iota(ramp.begin(), ramp.end(), 0.0f);
  for (size_t i = 0; i < ramp.size(); ++i) std::swap(ramp[i], ramp[(i * 7919) % ramp.size()]);
  // numpy.percentile(arange(1000), [1, 99.9]) = [9.99, 998.001] (linear interpolation).
  const HeatmapScale s = heatmap_scale(ramp);
  const double diff = std::max(std::abs(s.lo - 9.99), std::abs(s.hi - 998.001));
  MESSAGE("lo ", s.lo, " hi ", s.hi, ", max |diff| ", diff);
  CHECK(diff < 1e-3);

  std::vector<float> with_outlier(ramp);
  with_outlier.push_back(NAN);  // non-finite values are ignored
  with_outlier.push_back(INFINITY);
  const HeatmapScale t = heatmap_scale(with_outlier);
  CHECK(std::abs(t.lo - s.lo) < 1e-3);
  CHECK(std::abs(t.hi - s.hi) < 1e-3);

  const std::vector<float> flat(50, 3.0f);
  const HeatmapScale f = heatmap_scale(flat);
  MESSAGE("flat: lo ", f.lo, " hi ", f.hi);
  CHECK(f.lo == 3.0f);
  CHECK(f.hi > f.lo);
  CHECK(f.hi - f.lo < 1e-5);
  const std::vector<float> flat_large(10, 1e6f);
  CHECK(heatmap_scale(flat_large).hi > heatmap_scale(flat_large).lo);
}

TEST_CASE("heatmap functions reject bad sizes and name them") {
  const int S = 8;
  const data::Image image = test_image(S);
  const std::vector<float> map(S * S, 0.0f), short_map(S * S - 1, 0.0f);
  const std::vector<uint8_t> short_mask(10, 0);
  CHECK(contains(error_of([&] { heatmap_composite(image, {}, short_map, S, 0, 1); }), "63 values, expected 8x8"));
  CHECK(contains(error_of([&] { heatmap_composite(image, short_mask, map, S, 0, 1); }), "10 values"));
  CHECK(contains(error_of([&] { heatmap_composite(image, {}, map, 0, 0, 1); }), "got 0"));
  const data::Image grey = data::Image::zeros8(S, S, 1);
  CHECK(contains(error_of([&] { heatmap_composite(grey, {}, map, S, 0, 1); }), "8x8x1"));
  CHECK(contains(error_of([&] { colorize_map(short_map, S, S, 0, 1); }), "63 values, expected 8x8"));
  CHECK(contains(error_of([&] { load_rgb_resized("no_such_dir/none.png", 8); }), "none.png"));
  CHECK(contains(error_of([&] { load_rgb_resized("a.png", -1); }), "a.png"));
}

TEST_CASE("load_rgb_resized reads a grey PNG as RGB at the asked size") {
  const uniad::test::TempPath path("heatmap_grey.png");
  data::Image grey = data::Image::zeros8(20, 30, 1);
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 30; ++x) grey.at(y, x) = uint8_t(8 * x);
  data::write_png(path.str(), grey);
  const data::Image rgb = load_rgb_resized(path.str(), 10);
  REQUIRE(rgb.height == 10);
  REQUIRE(rgb.width == 10);
  REQUIRE(rgb.channels == 3);
  const data::Image want = data::resize_bilinear(data::to_rgb8(grey), 10, 10);
  int diffs = 0;
  for (size_t i = 0; i < want.u8.size(); ++i) diffs += rgb.u8[i] != want.u8[i];
  MESSAGE("samples differing from to_rgb8 + resize_bilinear: ", diffs);
  CHECK(diffs == 0);
  CHECK(rgb.at(5, 9, 0) > rgb.at(5, 0, 0));  // the ramp survives
}

// The texture benchmark's parts: defects (exact masks, visibility, strength relative to the
// texture), class names, and train/test bands that never share a pixel.
#include <set>

#include "data/defects.h"
#include "data/texture_layout.h"
#include "test_textures_util.h"
#include "test_util.h"

using namespace uniad;
using namespace uniad::data;
using test::contains;
using test::error_of;
using test::noise_texture;

namespace {

struct MaskCheck {
  int area = 0, outside_changed = 0, bad_values = 0;
  double mean_change = 0;  // mean |delta RGB| over the mask
};

MaskCheck check_defect(const Image& clean, const Defect& d) {
  MaskCheck m;
  for (int y = 0; y < clean.height; ++y)
    for (int x = 0; x < clean.width; ++x) {
      const uint8_t v = d.mask.at(y, x);
      m.bad_values += v != 0 && v != 255;
      int delta = 0;
      for (int c = 0; c < 3; ++c) delta += std::abs(int(d.image.at(y, x, c)) - int(clean.at(y, x, c)));
      if (v) {
        ++m.area;
        m.mean_change += delta / 3.0;
      } else {
        m.outside_changed += delta != 0;
      }
    }
  if (m.area) m.mean_change /= m.area;
  return m;
}

}  // namespace

TEST_CASE("textures: every defect kind changes only masked pixels, and visibly") {
  const Image clean = noise_texture(96, 96, 1, 6), donor = noise_texture(96, 96, 2, 12, 90, 120, 200);
  DefectOptions opt;
  opt.donor = &donor;
  for (DefectKind kind : all_defect_kinds()) {
    for (uint64_t seed : {1, 2, 3}) {
      CAPTURE(defect_name(kind));
      CAPTURE(seed);
      Generator gen(seed);
      const Defect d = make_defect(clean, kind, gen, opt);
      REQUIRE(d.image.height == 96);
      REQUIRE(d.image.channels == 3);
      REQUIRE(d.mask.channels == 1);
      const MaskCheck m = check_defect(clean, d);
      CHECK(m.bad_values == 0);
      CHECK(m.area > 0);
      CHECK(m.area == d.mask_area);
      CHECK(m.outside_changed == 0);
      CHECK(m.mean_change >= opt.min_visible);
      CHECK(std::abs(m.mean_change - d.visible_change) < 1e-9);
      // The mask rule keeps unchanged pixels out: most of the mask really differs.
      CHECK(d.changed_fraction >= 0.6);
      CHECK(d.kind == kind);
      CHECK(d.attempts >= 1);
    }
  }
}

TEST_CASE("textures: a defect is the same for the same generator seed") {
  const Image clean = noise_texture(64, 64, 5, 8);
  Generator a(7), b(7), c(8);
  const Defect da = make_defect(clean, DefectKind::Stain, a), db = make_defect(clean, DefectKind::Stain, b);
  const Defect dc = make_defect(clean, DefectKind::Stain, c);
  CHECK(da.image.u8 == db.image.u8);
  CHECK(da.mask.u8 == db.mask.u8);
  CHECK(da.mask.u8 != dc.mask.u8);
}

TEST_CASE("textures: defect strength follows the texture's local std") {
  // The same draw on a smooth and on a busy texture: the busy one gets a larger amplitude.
  const Image smooth = noise_texture(128, 128, 3, 2.5), busy = noise_texture(128, 128, 3, 20);
  for (DefectKind kind : {DefectKind::Stain, DefectKind::Scratch, DefectKind::Fold}) {
    CAPTURE(defect_name(kind));
    Generator g1(11), g2(11);
    const Defect a = make_defect(smooth, kind, g1), b = make_defect(busy, kind, g2);
    std::printf("[textures] %-8s local std %.1f -> change %.1f; local std %.1f -> change %.1f\n", defect_name(kind),
                a.local_std, a.visible_change, b.local_std, b.visible_change);
    CHECK(b.local_std > 4 * a.local_std);
    CHECK(b.visible_change > 3 * a.visible_change);
  }
}

TEST_CASE("textures: scratches are lines 6 to 12 px wide at 256 px") {
  const Image clean = noise_texture(256, 256, 4, 6);
  for (uint64_t seed = 0; seed < 4; ++seed) {
    Generator gen(seed);
    const Defect d = make_defect(clean, DefectKind::Scratch, gen);
    // Width: twice the largest distance from a mask pixel to the nearest pixel outside.
    double radius = 0;
    int x0 = 256, x1 = 0, y0 = 256, y1 = 0;
    for (int y = 0; y < 256; ++y)
      for (int x = 0; x < 256; ++x) {
        if (!d.mask.at(y, x)) continue;
        x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
        double nearest = 1e9;
        for (int dy = -8; dy <= 8; ++dy)
          for (int dx = -8; dx <= 8; ++dx) {
            const int yy = y + dy, xx = x + dx;
            if (yy >= 0 && yy < 256 && xx >= 0 && xx < 256 && !d.mask.at(yy, xx)) nearest = std::min(nearest, std::hypot(dx, dy));
          }
        radius = std::max(radius, nearest);
      }
    std::printf("[textures] scratch %d: width about %.1f px, extent %d x %d px\n", int(seed), 2 * radius, x1 - x0 + 1,
                y1 - y0 + 1);
    CHECK(2 * radius >= 5.5);
    CHECK(2 * radius <= 14);
    CHECK(std::hypot(x1 - x0, y1 - y0) >= 60);  // a line, not a blob
  }
}

TEST_CASE("textures: a flat texture that cannot show a blur is an error naming the kind") {
  const Image flat = Image::zeros8(64, 64, 3, 128);
  Generator gen(1);
  DefectOptions opt;
  opt.max_attempts = 3;
  CHECK(contains(error_of([&] { make_defect(flat, DefectKind::Blur, gen, opt); }), "'blur'"));
  CHECK(contains(error_of([&] { make_defect(flat, DefectKind::Patch, gen); }), "donor"));
  CHECK(contains(error_of([] { parse_defect_kind("smudge"); }), "color_shift"));
}

TEST_CASE("textures: class names come from the file stem") {
  CHECK(texture_class_name("/usr/share/x/HR_Canvas 01.png") == "hr_canvas_01");
  CHECK(texture_class_name("a/--Cork--.PNG") == "cork");
  CHECK(texture_class_name("mamurk_e_1.png") == "mamurk_e_1");
  CHECK(contains(error_of([] { texture_class_name("dir/___.png"); }), "dir/___.png"));
}

TEST_CASE("textures: train and test bands never share a pixel, and crops stay inside their band") {
  struct Case {
    int h, w, crop, side;
  };
  for (const Case& k : {Case{512, 512, 256, 256}, Case{960, 768, 256, 256}, Case{768, 960, 256, 256},
                        Case{256, 256, 256, 128}, Case{96, 160, 64, 64}, Case{75, 75, 64, 37}}) {
    CAPTURE(k.h);
    CAPTURE(k.w);
    const ScanLayout l = plan_scan_layout(k.h, k.w, k.crop, k.crop / 2 - 1, "scan.png");
    CHECK(l.side == k.side);
    CHECK(l.train.w * l.train.h + l.test.w * l.test.h == k.h * k.w);
    std::vector<int> owner(size_t(k.h) * k.w, 0);  // bit 1 train crop, bit 2 test crop
    int outside_band = 0;
    Generator gen(3);
    for (int split = 0; split < 2; ++split) {
      const Rect& band = split == 0 ? l.train : l.test;
      for (int n = 0; n < 60; ++n) {
        const CropSpec c = draw_crop(l, band, CropTransforms::Dihedral, gen);
        for (int i = 0; i < c.side; ++i)
          for (int j = 0; j < c.side; ++j) {
            int row, col;
            crop_pixel(l, c, i, j, row, col);
            outside_band += !(row >= band.y && row < band.y + band.h && col >= band.x && col < band.x + band.w);
            owner[size_t(row) * k.w + col] |= 1 << split;
          }
      }
    }
    CHECK(outside_band == 0);
    CHECK(std::count(owner.begin(), owner.end(), 3) == 0);
    CHECK(std::count(owner.begin(), owner.end(), 1) > 0);
    CHECK(std::count(owner.begin(), owner.end(), 2) > 0);
  }
  CHECK(contains(error_of([] { plan_scan_layout(100, 100, 256, 128, "tiny.png"); }), "tiny.png"));
}

TEST_CASE("textures: a crop is the scan's pixels, wrapped along the band and transformed") {
  Image scan = Image::zeros8(8, 6, 3);  // H >= W: row bands (train rows 0-3), wrap in x
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 6; ++x) scan.at(y, x, 0) = uint8_t(10 * y + x);
  const ScanLayout l = plan_scan_layout(8, 6, 4, 2, "s");
  REQUIRE(l.side == 4);
  const Image a = extract_crop(scan, l, {4, 4, 4, 0});
  CHECK(a.at(0, 0) == 44);
  CHECK(a.at(0, 2) == 40);  // x = 6 wraps to 0
  CHECK(a.at(3, 3) == 71);
  const Image b = extract_crop(scan, l, {4, 4, 4, 1});  // flipped left-right
  CHECK(b.at(0, 0) == 41);
  const Image t = extract_crop(scan, l, {4, 4, 4, 4});  // transposed
  CHECK(t.at(0, 1) == 54);
}

TEST_CASE("textures: stratified crops of one split never repeat a position") {
  const ScanLayout l = plan_scan_layout(512, 512, 256, 128, "s");
  std::set<int> starts;
  Generator gen(1);
  for (int i = 0; i < 80; ++i) {
    const CropSpec c = draw_crop(l, l.train, CropTransforms::Flips, gen, i, 80);
    CHECK(c.x >= i * 512 / 80);
    CHECK(c.x < (i + 1) * 512 / 80);
    CHECK(c.transform < 4);  // flips only
    starts.insert(c.x);
  }
  CHECK(starts.size() == 80);
}

#pragma once
// Where the texture benchmark's crops come from: source scans, class names, and the split of
// each scan into a train band and a test band that never share a pixel.
//
// A scan of H x W is cut across its longer side into two bands (H >= W: top rows train, bottom
// rows test; otherwise left columns train, right columns test). Crops lie across a band without
// wrapping and along it with wrap-around, which the tileable scans allow (the band runs the full
// length of the scan in that direction, so the wrap is the scan's own seam). Wrapping across a
// band would glue its two edges together, a seam that is not in the texture, so it is not done.
//
// The native crop side is min(crop, band thickness, scan's shorter side). When that is below
// `crop` (a 256 px scan has 128 px bands) the crop is magnified to `crop` with PIL-exact
// bilinear resizing, the same for train and test; a side below `min_crop` is an error.
#include <cstdint>
#include <string>
#include <vector>

#include "data/image.h"
#include "tensor/random.h"

namespace uniad::data {

struct TextureSource {
  std::string path;        // the image file
  std::string class_name;  // sanitised file stem, e.g. "HR_Canvas 01.png" -> "hr_canvas_01"
};

// Lowercase; runs of characters other than [a-z0-9] become one '_'; no leading/trailing '_'.
// Throws when nothing is left (names the file).
std::string texture_class_name(const std::string& path);

// The image files (.png .jpg .jpeg .bmp, any case) directly in each entry of `sources` (a
// folder, or one image file), sorted by class name. Errors name the path: a missing source, a
// folder without images, two files that sanitise to the same class name.
std::vector<TextureSource> list_texture_sources(const std::vector<std::string>& sources);

struct Rect {
  int x = 0, y = 0, w = 0, h = 0;  // columns [x, x + w), rows [y, y + h)
};

struct ScanLayout {
  int height = 0, width = 0;
  bool rows = true;  // true: bands are row ranges (crops wrap in x); false: column ranges (wrap in y)
  Rect train, test;  // the two bands; disjoint, together the whole scan
  int side = 0;      // native crop side in scan pixels
  int out = 0;       // the side crops are written at
};
// Throws (naming `what`) when the native side would be below min_crop.
ScanLayout plan_scan_layout(int height, int width, int crop, int min_crop, const std::string& what);

// Which of the 8 flips/rotations a crop may get: none, the 4 flips (keeps the direction of
// lines, e.g. a canvas weave), or all 8 (also transposes, turning lines by 90 degrees).
enum class CropTransforms { None, Flips, Dihedral };
CropTransforms parse_crop_transforms(const std::string& name);  // "none", "flips", "dihedral"

struct CropSpec {
  int x = 0, y = 0;   // top-left in scan pixels; x + side may pass W (wraps) when rows
  int side = 0;
  int transform = 0;  // bit 0 flip left-right, bit 1 flip top-bottom, bit 2 transpose (first)
};

// A random crop inside `band` of `layout`. With count > 0 the start along the band is
// stratified: crop `index` of `count` starts in the index-th of `count` equal stretches of the
// band, so the crops of one split spread over the band and (while count <= its length) never
// repeat a position, which independent draws would (80 draws from 512 positions repeat one with
// odds of about 1 in 2).
CropSpec draw_crop(const ScanLayout& layout, const Rect& band, CropTransforms transforms, Generator& gen,
                   int index = 0, int count = 0);

// Scan pixel (row, col) for crop pixel (i, j) of the native, untransformed crop: (y + i, x + j)
// wrapped into the scan. Tests use it to check that train and test crops never meet.
inline void crop_pixel(const ScanLayout& l, const CropSpec& c, int i, int j, int& row, int& col) {
  row = (c.y + i) % l.height;
  col = (c.x + j) % l.width;
}

// The crop's pixels, transformed, resized to layout.out x layout.out (8-bit RGB).
Image extract_crop(const Image& scan_rgb, const ScanLayout& layout, const CropSpec& crop);

}  // namespace uniad::data

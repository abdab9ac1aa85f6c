#pragma once
// Heat-map pictures of anomaly maps, for `uniad eval` (composites per test image) and
// `uniad predict` (one picture per input image).
//
// A composite is three panels side by side, each S x S, separated by a 4-pixel white gap:
//   image | image with the ground-truth outline in red (plain image when there is no mask)
//   | image blended with the jet-coloured map (alpha 0.5)
// The colour scale is fixed per call (lo, hi) so that pictures of one run compare: eval passes
// one scale for the whole test set (see heatmap_scale).
#include <cstdint>
#include <span>
#include <string>

#include "data/image.h"

namespace uniad {

// Jet colour of t in [0, 1] (clamped): dark blue -> cyan -> yellow -> dark red, as matplotlib's.
void jet_color(float t, uint8_t rgb[3]);

// map [h, w] -> RGB image [h, w, 3], values mapped linearly from [lo, hi] to [0, 1].
data::Image colorize_map(std::span<const float> map, int h, int w, float lo, float hi);

// rgb: 8-bit RGB image of any size (resized bilinearly to S x S when it differs);
// mask: [S, S] of 0 / 1, or empty; map: [S, S]. Returns [S, 3S + 8, 3].
data::Image heatmap_composite(const data::Image& rgb, std::span<const uint8_t> mask, std::span<const float> map,
                              int size, float lo, float hi);

// One colour scale for many maps: lo = the 1st percentile, hi = the 99.9th percentile of all
// values (so one hot pixel does not wash out the rest). maps: any number of values.
struct HeatmapScale {
  float lo = 0, hi = 1;
};
HeatmapScale heatmap_scale(std::span<const float> maps);

// Reads an image file as 8-bit RGB resized to size x size (data/resize, PIL-exact bilinear), as
// the feature extractor saw it. Errors name the file.
data::Image load_rgb_resized(const std::string& path, int size);

}  // namespace uniad

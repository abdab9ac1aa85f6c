#pragma once
// Synthetic defects on clean texture crops, each with an exact pixel mask: the anomalies of the
// texture benchmark (data/texture_benchmark.h). docs/textures.md shows what each kind looks like.
//
// Every kind is drawn the same way. A generator proposes a soft weight map w (H x W, in [0, 1])
// and a fully defected target T (H x W x 3); the result is round(clean + w' (T - clean)) where
// w' = w where w > mask_threshold (0.5 by default) and 0 elsewhere, and the mask is w' > 0.
// So every changed pixel is in the mask (w' = 0 leaves a pixel bit-identical), and every mask
// pixel carries at least half the defect's strength (the faint fringe of a soft blob is not
// drawn rather than drawn unmasked).
//
// Strength is relative to the texture: the amplitude of additive kinds is k * sigma, where sigma
// is the local standard deviation of grey levels around the defect (the RMS of the std of 16 x 16
// blocks, so slow shading does not count), and k is drawn per kind (defect_strength_range). A
// draw whose visible change (mean |delta| over the mask of the R, G, B levels) is below
// min_visible is redrawn, up to max_attempts times, with k growing by 15% per attempt.
#include <cstdint>
#include <string>
#include <vector>

#include "data/image.h"
#include "tensor/random.h"

namespace uniad::data {

enum class DefectKind {
  Stain,       // soft blob, darker, lighter or tinted; texture kept underneath
  Scratch,     // curved line 6-12 px wide (at 256 px), lighter or darker, tapered ends
  Fold,        // straight crease: a bright ridge on one side, a shadow fading on the other
  Hole,        // torn-edged hole filled with a near-uniform dark (or light) background
  Patch,       // a piece of another texture, colour-matched to the host's local mean and std
  ColorShift,  // hue rotation, saturation change and a tint in a soft region
  Blur,        // local Gaussian blur in a soft region
};

// The folder name of a kind ("stain", "scratch", "fold", "hole", "patch", "color_shift", "blur").
const char* defect_name(DefectKind kind);
// The kind for a folder name; throws uniad::Error listing the known names.
DefectKind parse_defect_kind(const std::string& name);
// Every kind, in the enum's order.
std::vector<DefectKind> all_defect_kinds();
// The range of the strength factor k drawn for a kind (its meaning per kind is in defects.cpp).
void defect_strength_range(DefectKind kind, double& lo, double& hi);

struct DefectOptions {
  double mask_threshold = 0.5;  // blend weights at or below this are not drawn (see above)
  double min_visible = 2.0;     // redraw when the mean |delta RGB| in the mask is below this
  int max_attempts = 30;        // draws before giving up (with an error naming the kind)
  const Image* donor = nullptr; // Patch: a clean RGB crop of another texture, same size as host
};

struct Defect {
  Image image;                // H x W x 3, the defected crop
  Image mask;                 // H x W x 1, 255 in the defect, 0 elsewhere
  DefectKind kind = DefectKind::Stain;
  double strength = 0;        // the factor k finally used
  double local_std = 0;       // sigma, grey levels, around the defect
  int mask_area = 0;          // pixels in the mask
  double visible_change = 0;  // mean |delta| over the mask and R, G, B (levels)
  double grey_change = 0;     // mean |delta grey| over the mask (levels)
  double changed_fraction = 0;  // share of mask pixels that differ from the clean crop
  int attempts = 0;           // draws made (1 = the first was visible)
};

// Draws one defect of `kind` on `clean` (8-bit RGB, at least 16 x 16). Deterministic in `gen`.
// Throws uniad::Error when no visible draw is found or the patch donor is missing/mis-sized.
Defect make_defect(const Image& clean, DefectKind kind, Generator& gen, const DefectOptions& opt = {});

// sigma above: RMS over 16 x 16 blocks (clipped to the image) of the grey-level std, over the
// rectangle [x0, x1) x [y0, y1); at least 1 so that flat images still get a visible defect.
double local_grey_std(const Image& rgb, int x0, int y0, int x1, int y1);
// The same for colour: RMS over blocks and channels of the std of (channel - mean of R, G, B).
// Colour shifts are scaled by it (at least 3), since paper varies far less in colour than in grey.
double local_chroma_std(const Image& rgb, int x0, int y0, int x1, int y1);

}  // namespace uniad::data

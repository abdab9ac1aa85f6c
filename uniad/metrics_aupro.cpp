// AUPRO, the MVTec AD per-region overlap metric (definition in metrics.h and docs/metrics.md).
// Exact: every distinct score is a threshold. One sort of all pixels by descending score, then a
// pass over groups of tied scores, as in MVTec's compute_pro: a normal pixel above the threshold
// adds 1 / (normal pixels) to the FPR, a defect pixel of region r adds 1 / (R size_r) to the PRO.
#include <algorithm>
#include <cmath>

#include "tensor/error.h"
#include "uniad/metrics.h"

namespace uniad {

int64_t label_regions(std::span<const uint8_t> mask, int64_t h, int64_t w, std::span<int32_t> labels) {
  UNIAD_CHECK(h >= 0 && w >= 0 && mask.size() == static_cast<size_t>(h * w) && labels.size() == mask.size(),
              "label_regions: mask of ", mask.size(), " pixels, labels of ", labels.size(), ", expected ", h, "x", w);
  std::fill(labels.begin(), labels.end(), -1);
  std::vector<int64_t> stack;
  int32_t regions = 0;
  for (int64_t start = 0; start < h * w; ++start) {
    if (!mask[start] || labels[start] >= 0) continue;
    // Flood fill from the first unlabelled defect pixel in raster order (scipy's numbering).
    labels[start] = regions;
    stack.assign(1, start);
    while (!stack.empty()) {
      const int64_t p = stack.back();
      stack.pop_back();
      const int64_t y = p / w, x = p % w;
      for (int64_t dy = -1; dy <= 1; ++dy) {
        for (int64_t dx = -1; dx <= 1; ++dx) {
          const int64_t ny = y + dy, nx = x + dx;
          if (ny < 0 || ny >= h || nx < 0 || nx >= w) continue;
          const int64_t q = ny * w + nx;
          if (mask[q] && labels[q] < 0) {
            labels[q] = regions;
            stack.push_back(q);
          }
        }
      }
    }
    ++regions;
  }
  return regions;
}

double aupro(std::span<const float> maps, std::span<const uint8_t> masks, int64_t n, int64_t h, int64_t w,
             double max_fpr) {
  UNIAD_CHECK(n >= 0 && h >= 0 && w >= 0, "aupro: bad shape ", n, "x", h, "x", w);
  const size_t total = static_cast<size_t>(n * h * w);
  UNIAD_CHECK(maps.size() == total && masks.size() == total, "aupro: maps of ", maps.size(), " and masks of ",
              masks.size(), " pixels, expected [", n, ", ", h, ", ", w, "] = ", total);
  UNIAD_CHECK(max_fpr > 0 && max_fpr <= 1, "aupro: max_fpr ", max_fpr, " must be in (0, 1]");
  UNIAD_CHECK(total < (size_t{1} << 31), "aupro: ", total, " pixels, at most 2^31 supported");

  // Region id per pixel over the whole class: -1 normal, else a global region index.
  std::vector<int32_t> region(total);          // [N, H, W]
  std::vector<double> weight;                  // per region: 1 / size, scaled by 1 / R below
  int64_t normals = 0;
  for (int64_t i = 0; i < n; ++i) {
    const size_t off = static_cast<size_t>(i * h * w);
    std::span<int32_t> lab(region.data() + off, static_cast<size_t>(h * w));
    for (size_t p = off; p < off + lab.size(); ++p)
      UNIAD_CHECK(masks[p] <= 1, "aupro: mask value ", int(masks[p]), " at pixel ", p, ", expected 0 or 1");
    const int64_t base = static_cast<int64_t>(weight.size());
    const int64_t k = label_regions(masks.subspan(off, lab.size()), h, w, lab);
    weight.resize(static_cast<size_t>(base + k), 0.0);
    for (int32_t& l : lab) {
      if (l < 0) {
        ++normals;
      } else {
        l += static_cast<int32_t>(base);
        weight[static_cast<size_t>(l)] += 1.0;  // size for now
      }
    }
  }
  const double regions = static_cast<double>(weight.size());
  if (weight.empty() || normals == 0) return kMetricUndefined;
  for (double& v : weight) v = 1.0 / (v * regions);

  struct Px {
    float score;
    int32_t region;
  };
  std::vector<Px> px(total);  // [N H W], 8 bytes per pixel
  for (size_t p = 0; p < total; ++p) {
    UNIAD_CHECK(!std::isnan(maps[p]), "aupro: anomaly map value at pixel ", p, " is NaN");
    px[p] = {maps[p], region[p]};
  }
  region = {};  // free before the sort's peak
  std::sort(px.begin(), px.end(), [](const Px& a, const Px& b) { return a.score > b.score; });

  // Curve from (0, 0); trapezoid up to max_fpr, the last segment cut by linear interpolation.
  int64_t fp = 0;
  double pro = 0, prev_x = 0, prev_y = 0, area = 0;
  for (size_t i = 0; i < total;) {
    const float s = px[i].score;
    for (; i < total && px[i].score == s; ++i) {
      if (px[i].region < 0) ++fp;
      else pro += weight[static_cast<size_t>(px[i].region)];
    }
    const double x = static_cast<double>(fp) / static_cast<double>(normals);
    const double y = std::min(pro, 1.0);  // the sum of 1 / (R size_r) may overshoot 1 by rounding
    if (x <= max_fpr) {
      area += 0.5 * (x - prev_x) * (y + prev_y);
    } else {
      const double y_cut = prev_y + (max_fpr - prev_x) * (y - prev_y) / (x - prev_x);
      area += 0.5 * (max_fpr - prev_x) * (prev_y + y_cut);
      break;
    }
    prev_x = x;
    prev_y = y;
  }
  return area / max_fpr;
}

double aupro(const Tensor& maps, const Tensor& masks, double max_fpr) {
  UNIAD_CHECK(maps.defined() && masks.defined(), "aupro: undefined tensor");
  const Shape& s = maps.shape();
  const bool ok = s.size() == 3 || (s.size() == 4 && s[1] == 1);
  UNIAD_CHECK(ok, "aupro: maps ", shape_str(s), ", expected [N, H, W] or [N, 1, H, W]");
  UNIAD_CHECK(masks.numel() == maps.numel(), "aupro: maps ", shape_str(s), " vs masks ", shape_str(masks.shape()));
  const int64_t n = s[0], h = s[s.size() - 2], w = s[s.size() - 1];
  const std::vector<uint8_t> m = to_binary_labels(masks, "aupro: masks");
  const Tensor f = maps.dtype() == DType::Float32 ? maps.contiguous() : maps.to(DType::Float32);
  return aupro(std::span<const float>(f.data<float>(), static_cast<size_t>(f.numel())), m, n, h, w, max_fpr);
}

}  // namespace uniad

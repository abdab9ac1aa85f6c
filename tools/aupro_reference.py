"""AUPRO, the team's straightforward reference (numpy + scipy.ndimage.label).

Written to be obviously the MVTec AD definition, not to be fast (O(thresholds x pixels)):
  - defect regions: connected components of each image's mask, 8-connectivity
    (scipy.ndimage.label with a 3x3 structure of ones), every region of every image counts once;
  - for every distinct score t (descending), a pixel is "above" when score >= t;
    FPR(t) = normal pixels above / all normal pixels of the class,
    PRO(t) = mean over regions of (region pixels above / region size);
  - the curve starts at (0, 0); AUPRO = trapezoid area of PRO over FPR in [0, max_fpr], the point
    at exactly max_fpr interpolated linearly, divided by max_fpr.
Undefined (no region or no normal pixel): NaN. The C++ version (uniad/metrics_aupro.cpp) is
checked against this on small maps (tests/test_metrics_golden.cpp).
"""
import numpy as np
from scipy import ndimage


def regions_of(masks):
    """masks [N, H, W] 0/1 -> list of (image index, boolean [H, W] region)."""
    out = []
    for i, m in enumerate(masks):
        lab, k = ndimage.label(m > 0, structure=np.ones((3, 3), dtype=int))
        out.extend((i, lab == r) for r in range(1, k + 1))
    return out


def pro_curve(maps, masks):
    """maps [N, H, W] float32, masks [N, H, W] 0/1 -> (fprs, pros) from (0, 0), one point per threshold."""
    regions = regions_of(masks)
    normal = masks == 0
    if not regions or normal.sum() == 0:
        return None
    fprs, pros = [0.0], [0.0]
    for t in np.unique(maps)[::-1]:
        above = maps >= t
        fprs.append((above & normal).sum() / normal.sum())
        pros.append(np.mean([above[i][r].mean() for i, r in regions]))
    return np.array(fprs), np.array(pros)


def aupro(maps, masks, max_fpr=0.3):
    curve = pro_curve(np.asarray(maps), np.asarray(masks))
    if curve is None:
        return float("nan")
    fprs, pros = curve
    area = 0.0
    for k in range(1, len(fprs)):
        x0, x1, y0, y1 = fprs[k - 1], fprs[k], pros[k - 1], pros[k]
        if x1 <= max_fpr:
            area += 0.5 * (x1 - x0) * (y0 + y1)
        else:
            y_cut = y0 + (max_fpr - x0) * (y1 - y0) / (x1 - x0)
            area += 0.5 * (max_fpr - x0) * (y0 + y_cut)
            break
    return area / max_fpr


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    masks = np.zeros((2, 8, 8), np.uint8)
    masks[0, 1:3, 1:3] = 1
    masks[0, 3, 3] = 1  # touches the first region diagonally: one region
    masks[1, 5:7, 2:6] = 1
    maps = rng.random((2, 8, 8)).astype(np.float32) + masks
    print("regions", len(regions_of(masks)), "aupro", aupro(maps, masks))

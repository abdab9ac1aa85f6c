"""Writes tests/fixtures/metrics_golden.h5: anomaly-detection metrics computed by sklearn and by
tools/aupro_reference.py, for tests/test_metrics_golden.cpp.

Run with Debian's Python (python3-sklearn 1.2, python3-scipy, python3-h5py):
    /usr/bin/python3 tools/make_metrics_golden.py

Layout: /image/<case>/{scores float64 [N], labels float64 [N], expected float64 [3]} and
/pixel/<case>/{maps float32 [N,H,W], masks float32 [N,H,W], expected float64 [3], aupro float64 []}
where expected = (AUROC, AP, F1-max). Undefined metrics (one class only, no defect region) are
NaN: sklearn raises or warns there, we define them as NaN (docs/metrics.md).
"""
import os
import sys
import warnings

import h5py
import numpy as np
from scipy import ndimage
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aupro_reference  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "metrics_golden.h5")
NAN = float("nan")


def sklearn_metrics(scores, labels):
    scores, labels = np.ravel(scores).astype(np.float64), np.ravel(labels).astype(np.int64)
    if labels.min() == labels.max():
        return [NAN, NAN, NAN]
    precision, recall, _ = precision_recall_curve(labels, scores)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = 2 * precision * recall / (precision + recall)
    f1 = np.nan_to_num(f1, nan=0.0)
    return [roc_auc_score(labels, scores), average_precision_score(labels, scores), float(f1.max())]


def aupro_mvtec_style(maps, masks, max_fpr=0.3):
    """Second, independent AUPRO: the cumulative-sum algorithm of MVTec's compute_pro with its
    trapezoid (searchsorted + interpolation). Only used to cross-check the reference here."""
    weights_fp, weights_pro, n_regions = np.zeros(maps.shape), np.zeros(maps.shape), 0
    labs = []
    for m in masks:
        lab, k = ndimage.label(m > 0, structure=np.ones((3, 3), dtype=int))
        labs.append((lab, k))
        n_regions += k
    normal = masks == 0
    if n_regions == 0 or normal.sum() == 0:
        return NAN
    weights_fp[normal] = 1.0 / normal.sum()
    for i, (lab, k) in enumerate(labs):
        for r in range(1, k + 1):
            reg = lab == r
            weights_pro[i][reg] = 1.0 / (reg.sum() * n_regions)
    order = np.argsort(maps.ravel(), kind="stable")[::-1]
    s = maps.ravel()[order]
    fprs = np.cumsum(weights_fp.ravel()[order])
    pros = np.cumsum(weights_pro.ravel()[order])
    keep = np.append(np.diff(s) != 0, True)
    x = np.concatenate([[0.0], np.clip(fprs[keep], None, 1.0), [1.0]])
    y = np.concatenate([[0.0], np.clip(pros[keep], None, 1.0), [1.0]])
    correction = 0.0
    if max_fpr not in x:
        ins = np.searchsorted(x, max_fpr)
        y_cut = y[ins - 1] + (y[ins] - y[ins - 1]) * (max_fpr - x[ins - 1]) / (x[ins] - x[ins - 1])
        correction = 0.5 * (y_cut + y[ins - 1]) * (max_fpr - x[ins - 1])
    mask = x <= max_fpr
    return (np.trapz(y[mask], x[mask]) + correction) / max_fpr


def image_cases(rng):
    cases = {}
    y = (rng.random(200) < 0.3).astype(np.float64)
    cases["random"] = (rng.normal(size=200) + 1.2 * y, y)
    y = (rng.random(37) < 0.5).astype(np.float64)
    cases["random_small"] = (rng.normal(size=37) + 0.5 * y, y)
    y = (rng.random(150) < 0.4).astype(np.float64)
    cases["ties_three_values"] = (np.round((rng.random(150) * 0.6 + 0.4 * y) * 2) / 2, y)
    y = (rng.random(60) < 0.5).astype(np.float64)
    cases["ties_integers"] = (np.floor(rng.random(60) * 4 + 2 * y), y)
    y = np.array([1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0], np.float64)
    cases["all_equal"] = (np.full(12, 0.5), y)
    y = (np.arange(30) % 3 == 0).astype(np.float64)
    cases["perfect"] = (rng.random(30) + 2 * y, y)
    cases["inverted"] = (rng.random(30) - 2 * y, y)
    cases["tiny"] = (np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1], np.float64))
    y = np.zeros(50)
    y[17] = 1
    cases["one_positive"] = (rng.normal(size=50), y)
    cases["only_positives"] = (rng.random(10), np.ones(10))
    cases["only_negatives"] = (rng.random(10), np.zeros(10))
    return cases


def blob_masks(rng, n, h, w, per_image):
    masks = np.zeros((n, h, w), np.float32)
    for i in range(n):
        for _ in range(per_image[i]):
            y0, x0 = rng.integers(0, h - 4), rng.integers(0, w - 4)
            masks[i, y0:y0 + rng.integers(1, 5), x0:x0 + rng.integers(1, 5)] = 1
    return masks


def pixel_cases(rng):
    cases = {}
    masks = blob_masks(rng, 5, 24, 24, [3, 0, 2, 4, 1])
    maps = (rng.random(masks.shape) + 0.6 * masks * rng.random(masks.shape)).astype(np.float32)
    cases["random"] = (maps, masks)
    cases["ties"] = (np.round(maps * 4).astype(np.float32) / 4, masks)
    # Regions that touch only at a corner are one region under 8-connectivity.
    m = np.zeros((3, 12, 12), np.float32)
    m[0, 1:3, 1:3] = 1
    m[0, 3:5, 3:5] = 1          # diagonal neighbour of the first block
    m[0, 8:10, 1] = 1
    m[0, 6, 9] = m[0, 7, 10] = m[0, 8, 11] = 1  # a diagonal line, one region
    m[1, 0, 0] = 1
    m[1, 5:8, 5:8] = 1
    m[1, 9, 9] = 1              # single pixel, corner-touching nothing
    maps = (rng.random(m.shape) * 0.8 + 0.5 * m * rng.random(m.shape)).astype(np.float32)
    cases["diagonal_regions"] = (maps, m)
    cases["no_defects"] = (rng.random((2, 8, 8)).astype(np.float32), np.zeros((2, 8, 8), np.float32))
    return cases


def main():
    rng = np.random.default_rng(20261129)
    with h5py.File(OUT + ".tmp", "w") as f:
        for name, (s, y) in image_cases(rng).items():
            g = f.create_group(f"image/{name}")
            g["scores"], g["labels"] = s.astype(np.float64), y.astype(np.float64)
            g["expected"] = np.array(sklearn_metrics(s, y), np.float64)
            print(f"image {name:20s} {g['expected'][()]}")
        for name, (maps, masks) in pixel_cases(rng).items():
            g = f.create_group(f"pixel/{name}")
            g.create_dataset("maps", data=maps.astype(np.float32))
            g.create_dataset("masks", data=masks.astype(np.float32), compression="gzip")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                g["expected"] = np.array(sklearn_metrics(maps, masks), np.float64)
            a, b = aupro_reference.aupro(maps, masks), aupro_mvtec_style(maps, masks)
            assert (np.isnan(a) and np.isnan(b)) or abs(a - b) < 1e-12, (name, a, b)
            g["aupro"] = np.float64(a)
            print(f"pixel {name:20s} {g['expected'][()]} aupro {a:.6f} (MVTec-style {b:.6f})")
    os.replace(OUT + ".tmp", OUT)
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()

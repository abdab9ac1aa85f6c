#!/usr/bin/python3
"""Classifies the test photos with the whole shipped MobileNetV2 (tools/mobilenet_v2_reference.py)
and writes the class probabilities as a small JSON fixture for tests/test_mobilenet_photos.cpp,
with a summary of the default UniAD features (blocks 0, 2, 5, 10 resized to 14 x 14 with
align_corners=True and concatenated: 168 channels): per photo, each channel's mean over the grid
and the feature vectors at grid cells (0, 0), (7, 7) and (13, 13).

    scripts/fetch_mobilenet_v2.sh                  # weights/mobilenet_v2.h5 and weights/photos/
    /usr/bin/python3 tools/mobilenet_photos.py [--weights-dir weights] [--out tests/fixtures/mobilenet_photos.json]
    /usr/bin/python3 tools/mobilenet_photos.py --bn-stats   # only: first BatchNorm vs each input scaling

Preprocessing, the same on both sides: decode, RGB, PIL bilinear resize to 224 x 224 (the C++
data::resize_bilinear is PIL-exact), pixel / 255 (what nsfwjs feeds its model: "unit" scaling).
nsfwjs itself resizes with tf.image.resizeBilinear(alignCorners=true); the fixture pins ours.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mobilenet_v2_reference import MBConvNet, dense_widths_in, load_backbone_h5, mobilenet_v2_spec  # noqa: E402

PHOTOS = ["astronaut.png", "chelsea.png", "coffee.png", "motorcycle_left.png"]
CLASSES = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"]  # nsfwjs dist/nsfw_classes.js
SIZE = 224
FEATURE_BLOCKS = [0, 2, 5, 10]  # data/backbone.cpp's default for mobilenet_v2
GRID = SIZE // 16
CELLS = [(0, 0), (7, 7), (13, 13)]


def load_photo(path):
    img = Image.open(path).convert("RGB").resize((SIZE, SIZE), Image.BILINEAR)
    return torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1)  # [3, S, S]


def bn_stats(net, x):
    """How well the first BatchNorm's moving statistics fit the stem conv's outputs on the photos,
    for each input scaling of data/feature_extractor.h (channels with zero moving variance left out)."""
    bn = net.bn_Conv1
    ok = bn.running_var > 1e-6
    print(f"bn_Conv1: {int((~ok).sum())} of {ok.numel()} channels have moving variance 0 (left out)")
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    for name, xs in [("unit", x), ("symmetric", 2 * x - 1), ("imagenet", (x - mean) / std)]:
        h = F.conv2d(F.pad(xs, (0, 1, 0, 1)), net.Conv1.weight, stride=2)  # Conv1 before its BatchNorm
        m, v = h.mean(dim=(0, 2, 3))[ok], h.var(dim=(0, 2, 3))[ok]
        z = ((m - bn.running_mean[ok]) / torch.sqrt(bn.running_var[ok])).abs().median()
        r = (v / bn.running_var[ok]).median()
        print(f"{name:10s} median |batch mean - moving mean| / moving std {z:.3f}, median batch var / moving var {r:.3f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights-dir", default="weights")
    ap.add_argument("--out", default="tests/fixtures/mobilenet_photos.json")
    ap.add_argument("--bn-stats", action="store_true", help="print the first BatchNorm's fit per scaling, write nothing")
    args = ap.parse_args()
    weights = os.path.join(args.weights_dir, "mobilenet_v2.h5")
    net = MBConvNet(mobilenet_v2_spec(), classifier=True, dense_widths=dense_widths_in(weights))
    load_backbone_h5(net, weights, architecture="mobilenet_v2")
    x = torch.stack([load_photo(os.path.join(args.weights_dir, "photos", p)) for p in PHOTOS])  # [B, 3, S, S]
    if args.bn_stats:
        return bn_stats(net, x)
    probs = net.classify(x).numpy().astype(np.float64)
    maps = net.features(x, FEATURE_BLOCKS)
    feats = torch.cat([F.interpolate(m, size=(GRID, GRID), mode="bilinear", align_corners=True) for m in maps], 1)
    out = {
        "made_by": "tools/mobilenet_photos.py",
        "weights": "mobilenet_v2.h5 from scripts/fetch_mobilenet_v2.sh (nsfwjs@4.3.0)",
        "photos_from": "python3-skimage (Debian) skimage/data",
        "preprocessing": "RGB, PIL bilinear resize to 224x224, pixel / 255 (scaling 'unit')",
        "classes": CLASSES,
        "feature_blocks": FEATURE_BLOCKS,
        "grid": GRID,
        "cells": CELLS,
        "photos": [{"file": p, "probabilities": [round(float(v), 7) for v in row], "top": CLASSES[int(row.argmax())],
                    "channel_means": [round(float(v), 6) for v in f.mean(dim=(1, 2))],
                    "cell_features": [[round(float(v), 6) for v in f[:, r, c]] for r, c in CELLS]}
                   for p, row, f in zip(PHOTOS, probs, feats)],
    }
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    os.replace(tmp, args.out)
    for p in out["photos"]:
        print(f"{p['file']:22s} top {p['top']:8s} " + " ".join(f"{c} {v:.4f}" for c, v in zip(CLASSES, p["probabilities"])))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

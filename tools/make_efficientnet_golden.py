#!/usr/bin/python3
"""Golden data for the C++ EfficientNet (tests/test_efficientnet.cpp), from the team's PyTorch
definition (tools/efficientnet_reference.py) with RANDOM weights.

Default: tests/fixtures/efficientnet_golden.h5, committed. Full B4 weights are ~75 MB, so the
fixture is a reduced variant built by the same code: width 0.3, depth 1.8 (still 32 blocks, so
the feature block indices are B4's), static padding for 380 px, input [2, 3, 64, 64]. It covers
expand ratio 1 and 6, kernels 3 and 5, strides 1 and 2, squeeze-excitation, residuals, and the
one conv where static padding differs from dynamic at sizes that are multiples of 32 (block 6,
padded (2, 2) instead of (1, 2)). (Width 0.3 is the smallest whose stride-1 stages all start with
in != out; see efficientnet_b4_spec in data/efficientnet_b4.h.) Weights are put on a grid of about
16 values per tensor with a power-of-two step and stored gzip-compressed, which keeps the file small; the head and classifier are left out (the C++ side
does not use them). The file is a valid backbone weight file (attributes format, architecture,
source, width_coefficient, depth_coefficient, static_image_size) with the expected maps under
golden/: golden/input [B, 3, S, S], golden/block_N [B, C_N, H_N, W_N] for N = 1, 5, 9,
21, 31 (--full adds the stem, N = -1).

--full DIR: the real B4 (width 1.4, depth 1.8) with random weights, never committed, to check the
full-size C++ forward on this machine. Writes DIR/efficientnet_b4_random.pth (lukemelas keys),
converts it with tools/convert_efficientnet.py into DIR/efficientnet_b4_random.h5 (the same path
a user's real weights take), and writes the input [2, 3, 224, 224] and maps into
DIR/efficientnet_b4_golden.h5. Then:
    UNIAD_EFFICIENTNET_FULL=DIR ./build/tests/uniad_tests -tc="*EfficientNet-B4 full*"

    /usr/bin/python3 tools/make_efficientnet_golden.py
    /usr/bin/python3 tools/make_efficientnet_golden.py --full /tmp/effnet_full
"""
import argparse
import math
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert_efficientnet import check_state_dict, convert, write_backbone_h5  # noqa: E402
from make_mobilenet_golden import randomize as randomize_layers  # noqa: E402
from efficientnet_reference import B4_DEPTH, B4_IMAGE_SIZE, B4_WIDTH, EfficientNet  # noqa: E402

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                       "efficientnet_golden.h5")
GOLDEN_BLOCKS = [1, 5, 9, 21, 31]  # the stem map (-1) would add 130 KiB
REDUCED_WIDTH, REDUCED_DEPTH = 0.3, 1.8


def randomize(net, gen):
    """He-scaled convs and BatchNorm statistics away from the identity (so that folding is
    tested; the same draws as the MobileNetV2 fixture), keeping activations of order one through
    32 blocks."""
    randomize_layers(net, gen)
    with torch.no_grad():
        for blk in net._blocks:  # damp residual branches: 26 of them would otherwise add up
            if blk.args.residual:
                blk._bn2.weight.mul_(0.3)
                blk._bn2.bias.mul_(0.3)
    return net.eval()


def quantize(net, levels=16):
    """Every floating tensor onto a grid of about `levels` values whose step is a power of two:
    such floats have few mantissa bits, so shuffle + gzip store them in about one byte each."""
    with torch.no_grad():
        for t in net.state_dict().values():
            if t.is_floating_point():
                span = max(float(t.max() - t.min()), 1e-6)
                step = 2.0 ** math.ceil(math.log2(span / (levels - 1)))
                t.copy_(torch.round(t / step) * step)


def make_input(batch, size, gen):
    """ImageNet-normalised images from smooth random colour fields plus pixel noise, on the
    8-bit grid (as real images are)."""
    coarse = torch.rand(batch, 3, 8, 8, generator=gen)
    img = torch.nn.functional.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)
    img = (img + 0.15 * torch.rand(batch, 3, size, size, generator=gen)).clamp(0, 1)
    img = torch.round(img * 255) / 255
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    return (img - mean) / std  # [B, 3, S, S]


def golden_maps(net, x, blocks=GOLDEN_BLOCKS):
    maps = net.features(x, blocks)
    out = {"golden/input": x.numpy()}
    for b, m in zip(blocks, maps):
        out[f"golden/block_{b}"] = m.numpy()
        print(f"  block {b:3d}: {tuple(m.shape)}  mean |x| {m.abs().mean():.3f}  max |x| {m.abs().max():.3f}")
    return out, maps


def padding_sensitivity(net, x, maps, width, depth, blocks=GOLDEN_BLOCKS):
    """How far the same weights with DYNAMIC padding land from the golden maps: shows the fixture
    can tell the padding modes apart (the C++ test checks this too)."""
    dyn = EfficientNet(width, depth, image_size=None).eval()
    dyn.load_state_dict(net.state_dict())
    for b, d, m in zip(blocks, dyn.features(x, blocks), maps):
        print(f"  dynamic padding instead, block {b:3d}: max |diff| {float((d - m).abs().max()):.3e}")


def make_fixture(path):
    gen = torch.Generator().manual_seed(2022)
    net = randomize(EfficientNet(REDUCED_WIDTH, REDUCED_DEPTH, B4_IMAGE_SIZE), gen)
    quantize(net)
    state = {k: v for k, v in net.state_dict().items() if not k.startswith(("_conv_head.", "_bn1.", "_fc."))}
    # The converter's own checks, with the head optional for this file only.
    full = check_state_dict(net.state_dict(), "reduced variant", REDUCED_WIDTH, REDUCED_DEPTH)
    tensors = {k: v for k, v in full.items() if k in state}
    x = make_input(2, 64, gen)
    print(f"reduced EfficientNet width {REDUCED_WIDTH} depth {REDUCED_DEPTH}: {len(net._blocks)} blocks, "
          f"{sum(t.size for t in tensors.values()):,} weight values in the fixture")
    extra, maps = golden_maps(net, x)
    padding_sensitivity(net, x, maps, REDUCED_WIDTH, REDUCED_DEPTH)
    write_backbone_h5(path, tensors, "random weights (seed 2022, ~16 levels per tensor) from "
                      "tools/make_efficientnet_golden.py; reduced variant, no head", REDUCED_WIDTH, REDUCED_DEPTH,
                      B4_IMAGE_SIZE, extra=extra, compact=True)
    print(f"wrote {path} ({os.path.getsize(path) / 1024:.0f} KiB)")


def make_full(folder, size, batch):
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(7)
    gen = torch.Generator().manual_seed(7)
    net = randomize(EfficientNet(B4_WIDTH, B4_DEPTH, B4_IMAGE_SIZE), gen)
    pth = os.path.join(folder, "efficientnet_b4_random.pth")
    torch.save(net.state_dict(), pth)
    weights = os.path.join(folder, "efficientnet_b4_random.h5")
    convert(pth, weights, source="random weights (seed 7) from tools/make_efficientnet_golden.py --full")
    # What the converter wrote must reload into the reference bit for bit.
    with h5py.File(weights, "r") as f:
        for k, v in net.state_dict().items():
            if not k.endswith("num_batches_tracked"):
                assert np.array_equal(f[k.replace(".", "/")][()], v.numpy()), k
    x = make_input(batch, size, gen)
    print(f"EfficientNet-B4 (random weights), input {tuple(x.shape)}:")
    extra, maps = golden_maps(net, x, [-1] + GOLDEN_BLOCKS)
    padding_sensitivity(net, x, maps, B4_WIDTH, B4_DEPTH, [-1] + GOLDEN_BLOCKS)
    golden = os.path.join(folder, "efficientnet_b4_golden.h5")
    tmp = golden + ".tmp"
    with h5py.File(tmp, "w") as f:
        for k, v in extra.items():
            f.create_dataset(k, data=v.astype(np.float32))
    os.replace(tmp, golden)
    print(f"wrote {pth}, {weights}, {golden}")


def main():
    ap = argparse.ArgumentParser(description="EfficientNet golden data for the C++ tests")
    ap.add_argument("--full", metavar="DIR", help="full-size B4 with random weights into DIR (not committed)")
    ap.add_argument("--size", type=int, default=224, help="input side for --full")
    ap.add_argument("--batch", type=int, default=2, help="images for --full")
    args = ap.parse_args()
    torch.set_num_threads(2)
    if args.full:
        make_full(args.full, args.size, args.batch)
    else:
        make_fixture(FIXTURE)


if __name__ == "__main__":
    main()

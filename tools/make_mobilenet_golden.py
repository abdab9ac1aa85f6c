#!/usr/bin/python3
"""Golden fixtures for the MBConv backbone (tests/test_mobilenet_golden.cpp): random weights, a
small input, and every map the C++ side exposes (stem, each block, head, classifier), computed by
the team's PyTorch definition (tools/mobilenet_v2_reference.py).

Each fixture is a valid backbone weight file (docs/backbones.md: root attributes, one dataset per
state_dict key) with the expected outputs under golden/:
  mobilenet_golden_v2.h5   the real MobileNetV2 topology and Keras names at width 0.35, head 32,
                           Dense 16-8-5, input [2, 3, 42, 34] (odd sizes: TF "same" pads 1+1)
  mobilenet_golden_se.h5   a hand-made EfficientNet-style net: swish, squeeze-excitation, 5x5
                           kernels, static padding for 38 px on a 32 px input, lukemelas key names
  golden/input [B, 3, H, W]; golden/block_-1 (stem) ... golden/block_{n-1}; golden/head

    /usr/bin/python3 tools/make_mobilenet_golden.py     # writes both into tests/fixtures/
"""
import math
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mobilenet_v2_reference import Block, MBConvNet, Spec, mobilenet_v2_spec, state_to_h5  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")


def se_spec():
    """Keep in sync with se_spec() in tests/test_mobilenet_golden.cpp."""
    def blk(i, cin, cout, e, k, s, se):
        p = f"_blocks/{i}/"
        return Block(name=f"_blocks.{i}", output_name=f"_blocks.{i}", cin=cin, cout=cout, expand_ratio=e, kernel=k,
                     stride=s, expand=(p + "_expand_conv", p + "_bn0"), depthwise=(p + "_depthwise_conv", p + "_bn1"),
                     project=(p + "_project_conv", p + "_bn2"), se_width=se, se_reduce=p + "_se_reduce",
                     se_expand=p + "_se_expand")
    blocks = [blk(0, 16, 8, 1, 3, 1, 4), blk(1, 8, 12, 6, 3, 2, 2), blk(2, 12, 12, 6, 5, 1, 3),
              blk(3, 12, 20, 6, 5, 2, 3), blk(4, 20, 20, 4, 3, 1, 5)]
    return Spec("efficientnet_test", "swish", "static", 38, ("_conv_stem", "_bn0"), 16, 3, 2, blocks,
                ("_conv_head", "_bn1"), 32)


def randomize(net, gen):
    """He-scaled conv weights and BatchNorm statistics that keep activations near unit size."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * math.sqrt(2.0 / fan_in))
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.2)
            elif isinstance(m, torch.nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) * 0.6 + 0.7)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.2)
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.2)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) + 0.5)
            elif isinstance(m, torch.nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) / math.sqrt(m.weight.shape[1]))
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)


def quantize(net, levels=16):
    """Puts every tensor on a grid of `levels` values (as nsfwjs's uint8 weights are), so that the
    fixture compresses to a quarter of its size."""
    with torch.no_grad():
        for t in net.state_dict().values():
            if t.is_floating_point():
                lo, hi = float(t.min()), float(t.max())
                step = (hi - lo) / (levels - 1) if hi > lo else 1.0
                t.copy_(torch.round((t - lo) / step) * step + lo)


def write(name, spec, net, x, classify):
    path = os.path.join(FIXTURES, name)
    tmp = path + ".tmp"
    with h5py.File(tmp, "w", libver="latest") as f:
        f.attrs["format"] = "uniad-backbone-v1"
        f.attrs["architecture"] = spec.architecture
        f.attrs["source"] = "random weights from tools/make_mobilenet_golden.py"
        state_to_h5(net, f, compress=True)
        f["golden/input"] = x.numpy()
        with torch.no_grad():
            maps = dict(net.run(x, len(spec.blocks) - 1))
            for b, m in maps.items():
                f[f"golden/block_{b}"] = m.numpy()
                print(f"  block {b:2d} {tuple(m.shape)} mean |x| {m.abs().mean():.3f}")
            f["golden/head"] = net.head_output(x).numpy()
            if classify:
                p = net.classify(x)
                f["golden/probabilities"] = p.numpy()
                print("  probabilities", p.numpy().round(4).tolist())
    os.replace(tmp, path)
    print(f"wrote {path} ({os.path.getsize(path) / 1024:.0f} KiB)")


def main():
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(2022)

    spec = mobilenet_v2_spec(alpha=0.35, head_channels=32)
    net = MBConvNet(spec, classifier=True, dense_widths=(16, 8, 5))
    randomize(net, gen)
    quantize(net)
    x = torch.rand((2, 3, 42, 34), generator=gen) * 2 - 1  # [B, 3, H, W], symmetric scaling's range
    write("mobilenet_golden_v2.h5", spec, net, x, classify=True)

    spec = se_spec()
    net = MBConvNet(spec)
    randomize(net, gen)
    quantize(net)
    x = torch.randn((2, 3, 32, 32), generator=gen)
    write("mobilenet_golden_se.h5", spec, net, x, classify=False)


if __name__ == "__main__":
    main()

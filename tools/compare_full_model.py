#!/usr/bin/python3
"""Our C++ forward pass against PyTorch's at the paper's full size (not part of the test suite).

    ninja -C build compare_model
    /usr/bin/python3 tools/compare_full_model.py [--binary build/tools/compare_model] [--network uniad]

Builds the paper-size model of tools/uniad_reference.py (C 272, 14x14 tokens, D 256, 8 heads,
4+4 layers, FFN 1024, 7x7 mask) with PyTorch's random initialisation, writes its weights in our
HDF5 layout (/model/<name>), its config (/config attributes) and a random input to a temporary
file, runs the C++ compare_model on it (eval mode: no dropout, no jitter) and compares the
reconstruction it writes back with PyTorch's, computed in float64 from the same float32 weights.
PyTorch's own float32 result is printed beside ours: that is what float32 rounding alone costs.
"""
import argparse
import os
import subprocess
import tempfile

import numpy as np
import torch

import uniad_reference as ref

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def describe(name, actual, expected):
    diff = np.abs(actual.astype(np.float64) - expected)
    scale = np.abs(expected).max()
    print(f"{name:34s} max |diff| {diff.max():.3e}   relative to max |ref| {diff.max() / scale:.3e}   "
          f"mean |diff| {diff.mean():.3e}")
    return diff.max()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "tools", "compare_model"))
    parser.add_argument("--network", default="uniad", help="mlp | cnn | transformer | query_first | uniad")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    config = ref.ModelConfig(network=args.network)  # the paper's sizes
    model = ref.ReconstructionModel(config).eval()
    x = torch.randn(args.batch, config.feature_channels, config.grid_h, config.grid_w)  # [B, C, H, W]
    n = sum(p.numel() for p in model.parameters())
    print(f"{config.network}: {n} parameters, input {list(x.shape)}")

    with tempfile.TemporaryDirectory(prefix="uniad_compare_") as tmp:
        path_in, path_out = os.path.join(tmp, "in.h5"), os.path.join(tmp, "out.h5")
        with ref.h5py.File(path_in, "w") as f:
            config.write_attrs(f.create_group("config").attrs)
            ref.export_state(model, f.create_group("model"))
            f["input"] = x.numpy()
        subprocess.run([args.binary, path_in, path_out], check=True)
        with ref.h5py.File(path_out, "r") as f:
            ours = f["reconstruction"][()]

    with torch.no_grad():
        torch32 = model(x).numpy()
        exact = model.double()(x.double()).numpy()  # the same float32 weights, float64 arithmetic
    print(f"reference (torch float64) max |value| {np.abs(exact).max():.3f}")
    worst = describe("ours (C++ float32) vs torch float64", ours, exact)
    describe("torch float32 vs torch float64", torch32, exact)
    describe("ours vs torch float32", ours, torch32.astype(np.float64))
    print(f"largest difference: {worst:.3e}")


if __name__ == "__main__":
    main()

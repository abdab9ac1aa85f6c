#!/usr/bin/python3
"""Converts an EfficientNet-B4 PyTorch state dict (lukemelas EfficientNet-PyTorch key names, e.g.
the published efficientnet-b4-6ed6700e.pth) into the project's backbone weight file (HDF5, format
"uniad-backbone-v1", architecture "efficientnet_b4"; see docs/efficientnet.md).

    /usr/bin/python3 tools/convert_efficientnet.py efficientnet-b4-6ed6700e.pth weights/efficientnet_b4.h5

Needs PyTorch and h5py. Every key and shape is checked against the team's own definition
(tools/efficientnet_reference.py) before anything is written; all problems are listed at once.
Accepted wrappers: a bare state dict, {"state_dict": ...} or {"model": ...}, keys prefixed with
"module." (DataParallel). num_batches_tracked buffers are dropped; "_fc" may have any number of
classes (or be absent: the backbone never uses it). The output is written to a temporary file
beside it and renamed, so a failed conversion never leaves a half-written weight file.
"""
import argparse
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from efficientnet_reference import B4_DEPTH, B4_IMAGE_SIZE, B4_WIDTH, EfficientNet  # noqa: E402

FORMAT = "uniad-backbone-v1"
ARCHITECTURE = "efficientnet_b4"


class ConversionError(Exception):
    pass


def load_state_dict(path):
    """A .pth file -> {key: tensor}, unwrapped from the usual containers."""
    try:
        obj = torch.load(path, map_location="cpu")
    except Exception as e:  # noqa: BLE001 - torch raises many kinds; report them all the same way
        raise ConversionError(f"{path}: cannot read as a PyTorch file: {e}") from e
    for wrapper in ("state_dict", "model"):
        if isinstance(obj, dict) and wrapper in obj and isinstance(obj[wrapper], dict):
            obj = obj[wrapper]
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    if not isinstance(obj, dict) or not obj:
        raise ConversionError(f"{path}: holds {type(obj).__name__}, expected a state dict of tensors")
    if all(k.startswith("module.") for k in obj):
        obj = {k[len("module."):]: v for k, v in obj.items()}
    return obj


def check_state_dict(state, path, width=B4_WIDTH, depth=B4_DEPTH, image_size=B4_IMAGE_SIZE):
    """Validates keys and shapes against the reference definition; returns {key: float32 array}
    in the reference's key order. Raises ConversionError listing every problem."""
    expected = {k: tuple(v.shape) for k, v in EfficientNet(width, depth, image_size).state_dict().items()
                if not k.endswith("num_batches_tracked")}
    got = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    problems = []
    for k, shape in expected.items():
        if k.startswith("_fc."):
            continue
        if k not in got:
            problems.append(f"missing tensor '{k}' (expected shape {list(shape)})")
        elif not torch.is_tensor(got[k]):
            problems.append(f"'{k}' is a {type(got[k]).__name__}, not a tensor")
        elif tuple(got[k].shape) != shape:
            problems.append(f"tensor '{k}' has shape {list(got[k].shape)}, expected {list(shape)}")
        elif not got[k].is_floating_point():
            problems.append(f"tensor '{k}' has dtype {got[k].dtype}, expected a floating type")
    fc_w, fc_b = got.get("_fc.weight"), got.get("_fc.bias")
    if (fc_w is None) != (fc_b is None):
        problems.append("'_fc' needs both weight and bias (or neither)")
    elif fc_w is not None:
        head = expected["_fc.weight"][1]
        if fc_w.dim() != 2 or fc_w.shape[1] != head or tuple(fc_b.shape) != (fc_w.shape[0],):
            problems.append(f"'_fc' has weight {list(fc_w.shape)} and bias {list(fc_b.shape)}, "
                            f"expected [classes, {head}] and [classes]")
    unexpected = sorted(k for k in got if k not in expected)
    for k in unexpected[:10]:
        problems.append(f"unexpected tensor '{k}' (shape {list(getattr(got[k], 'shape', []))})")
    if len(unexpected) > 10:
        problems.append(f"... and {len(unexpected) - 10} more unexpected tensors")
    if problems:
        shown = problems[:25] + ([f"... and {len(problems) - 25} more problems"] if len(problems) > 25 else [])
        raise ConversionError(f"{path}: not an EfficientNet (width {width}, depth {depth}) state dict with "
                              f"lukemelas key names:\n  " + "\n  ".join(shown))
    out = {}
    for k in expected:
        if k in got:
            t = got[k].detach().to(torch.float32).numpy()
            if not np.isfinite(t).all():
                raise ConversionError(f"{path}: tensor '{k}' has non-finite entries")
            out[k] = t
    return out


def write_backbone_h5(out_path, tensors, source, width=B4_WIDTH, depth=B4_DEPTH, image_size=B4_IMAGE_SIZE,
                      extra=None, compact=False):
    """Writes the weight file atomically: every tensor at its key with '.' -> '/', float32, plus
    `extra` {path: array} (golden fixtures put expected outputs there). compact: gzip with the
    byte-shuffle filter and HDF5's newer, smaller index structures (for committed fixtures)."""
    tmp = f"{out_path}.tmp{os.getpid()}"
    opts = dict(compression="gzip", compression_opts=9, shuffle=True) if compact else {}
    try:
        with h5py.File(tmp, "w", libver="latest" if compact else "earliest") as f:
            f.attrs["format"] = FORMAT
            f.attrs["architecture"] = ARCHITECTURE
            f.attrs["source"] = source
            # Informational: the C++ builder takes the same three numbers (data/efficientnet_b4.h).
            f.attrs["width_coefficient"] = float(width)
            f.attrs["depth_coefficient"] = float(depth)
            f.attrs["static_image_size"] = int(image_size)
            for k, t in tensors.items():
                f.create_dataset(k.replace(".", "/"), data=np.ascontiguousarray(t, dtype=np.float32), **opts)
            for k, t in (extra or {}).items():
                f.create_dataset(k, data=np.ascontiguousarray(t, dtype=np.float32), **opts)
        os.replace(tmp, out_path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def convert(pth, out_path, source=None, width=B4_WIDTH, depth=B4_DEPTH, image_size=B4_IMAGE_SIZE):
    state = load_state_dict(pth)
    tensors = check_state_dict(state, pth, width, depth, image_size)
    write_backbone_h5(out_path, tensors, source or f"converted from {os.path.basename(pth)} "
                      f"(lukemelas EfficientNet-PyTorch keys) by tools/convert_efficientnet.py",
                      width, depth, image_size)
    return tensors


def main():
    ap = argparse.ArgumentParser(description="EfficientNet-B4 .pth (lukemelas keys) -> uniad backbone HDF5")
    ap.add_argument("input", help="state dict, e.g. efficientnet-b4-6ed6700e.pth")
    ap.add_argument("output", help="HDF5 weight file to write, e.g. weights/efficientnet_b4.h5")
    ap.add_argument("--source", help="text for the file's 'source' attribute")
    # For reduced test variants only; real B4 weights use the defaults.
    ap.add_argument("--width", type=float, default=B4_WIDTH, help=argparse.SUPPRESS)
    ap.add_argument("--depth", type=float, default=B4_DEPTH, help=argparse.SUPPRESS)
    args = ap.parse_args()
    try:
        tensors = convert(args.input, args.output, args.source, args.width, args.depth)
    except ConversionError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    n = sum(t.size for t in tensors.values())
    print(f"wrote {args.output}: {len(tensors)} tensors, {n:,} values ({os.path.getsize(args.output) / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

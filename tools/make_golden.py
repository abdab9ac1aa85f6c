#!/usr/bin/python3
"""Golden fixtures for the C++ ops: PyTorch's forward outputs and input gradients.

Run with Debian's python3-torch (the `python3` on PATH has no torch):

    /usr/bin/python3 tools/make_golden.py            # writes tests/fixtures/golden_ops.h5

Every case is computed in float64 from seeded random data, so the file is reproducible. The C++
tests (tests/test_golden_*.cpp) read it without torch. Layout, one group per case:

    /<family>/<case>            attributes: op, description, grad_inputs ("x,weight,bias"),
                                and the op's parameters (stride_h, eps, align_corners, ...)
        <input>                 every differentiable input, e.g. x, weight, bias
        <constant>              inputs without a gradient, e.g. mask
        grad_out                the random upstream gradient fed to backward
        out                     forward output
        grad_<input>            gradient of sum(out * grad_out) with respect to <input>

Contract that differs from PyTorch: a softmax row whose entries are all masked (-inf) is zeros
with zero gradient in this project, where torch gives NaN. Those rows are overwritten with
explicit zeros here (after checking that torch really gave NaN), so the fixture states our
contract rather than torch's accident.
"""
import argparse
import math
import os

import h5py
import numpy as np
import torch
import torch.nn.functional as F

SEED = 20240611
DEFAULT_OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "golden_ops.h5")


def neighbour_mask(grid_h, grid_w, window):
    """UniAD's additive [L, L] mask (L = grid_h * grid_w, token index = row * grid_w + col):
    -inf where token j lies in the window x window square centred on token i, else 0."""
    r = torch.arange(grid_h * grid_w) // grid_w
    c = torch.arange(grid_h * grid_w) % grid_w
    near = ((r[:, None] - r[None, :]).abs() <= window // 2) & ((c[:, None] - c[None, :]).abs() <= window // 2)
    return torch.zeros(near.shape).masked_fill(near, float("-inf"))


class Writer:
    def __init__(self, path):
        self.file = h5py.File(path, "w")
        self.file.attrs["generator"] = "tools/make_golden.py"
        self.file.attrs["torch_version"] = str(torch.__version__)
        self.file.attrs["seed"] = np.int64(SEED)
        self.summary = []

    def case(self, name, op, description, fn, inputs, consts=None, params=None, fix=None):
        """Runs fn(**inputs, **consts) forward and backward with a random upstream gradient
        and stores everything under /name. `fix(out, grads)` may edit the results in place
        (used where our contract deliberately differs from torch)."""
        consts = consts or {}
        leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
        out = fn(**leaves, **consts)
        grad_out = torch.randn_like(out)
        out.backward(grad_out)
        out = out.detach().clone()
        grads = {k: v.grad.detach().clone() for k, v in leaves.items()}
        if fix is not None:
            fix(out, grads)
        for t in [out, *grads.values()]:
            assert torch.isfinite(t).all(), f"{name}: non-finite values left in the fixture"

        g = self.file.create_group(name)
        g.attrs["op"] = op
        g.attrs["description"] = description
        g.attrs["grad_inputs"] = ",".join(inputs)
        for k, v in (params or {}).items():
            g.attrs[k] = np.int64(v) if isinstance(v, (bool, int)) else v
        for k, v in {**inputs, **consts}.items():
            g[k] = v.numpy()
        g["grad_out"] = grad_out.numpy()
        g["out"] = out.numpy()
        for k, v in grads.items():
            g["grad_" + k] = v.numpy()
        shapes = " ".join(f"{k}{list(v.shape)}" for k, v in {**inputs, **consts}.items())
        self.summary.append(f"{name:42s} {shapes} -> out{list(out.shape)}  max|out| {out.abs().max():.3g}")


def randn(*shape, scale=1.0):
    return torch.randn(*shape) * scale


def matmul_cases(w):
    w.case("matmul/2d", "matmul", "a [3,4] @ b [4,5]", lambda a, b: a @ b, {"a": randn(3, 4), "b": randn(4, 5)})
    w.case("matmul/batched", "matmul", "a [2,3,4] @ b [2,4,5]", lambda a, b: a @ b,
           {"a": randn(2, 3, 4), "b": randn(2, 4, 5)})
    w.case("matmul/broadcast_b", "matmul", "a [2,3,4] @ b [4,5], b shared by the batch", lambda a, b: a @ b,
           {"a": randn(2, 3, 4), "b": randn(4, 5)})
    w.case("matmul/transposed_a", "matmul", "a stored [4,3], used as a^T (a transposed view) @ b [4,5]",
           lambda a, b: a.t() @ b, {"a": randn(4, 3), "b": randn(4, 5)}, params={"transpose_a": 1})
    w.case("matmul/transposed_b", "matmul", "a [2,3,4] @ b^T, b stored [5,4] (as q k^T in attention)",
           lambda a, b: a @ b.t(), {"a": randn(2, 3, 4), "b": randn(5, 4)}, params={"transpose_b": 1})


def activation_cases(w):
    # Spread over [-6, 6] so that both tails and the curved middle are exercised.
    x = torch.linspace(-6, 6, 24).reshape(4, 6) + randn(4, 6, scale=0.1)
    w.case("activation/gelu", "gelu", "exact erf GELU (F.gelu default)", lambda x: F.gelu(x), {"x": x})
    w.case("activation/silu", "silu", "x * sigmoid(x)", lambda x: F.silu(x), {"x": x})


def softmax_cases(w):
    w.case("softmax/plain", "softmax", "softmax over the last axis, logits of scale 3",
           lambda x: F.softmax(x, dim=-1), {"x": randn(3, 7, scale=3.0)})

    # 3x3 token grid with a 3x3 window: the centre token (index 4) masks every token, so its
    # row is fully masked, exactly what UniAD's 7x7 window does on a grid smaller than 7x7.
    mask = neighbour_mask(3, 3, 3)
    full_rows = [i for i in range(mask.shape[0]) if torch.isinf(mask[i]).all()]
    assert full_rows == [4]

    def zero_full_rows(out, grads):
        assert torch.isnan(out[..., full_rows, :]).all(), "torch gives NaN for fully masked rows"
        out[..., full_rows, :] = 0  # our contract: zeros ...
        grads["x"][..., full_rows, :] = 0  # ... and no gradient through them

    w.case("softmax/neighbour_mask", "softmax",
           "x [B=2,H=2,L=9,L=9] + neighbour mask [9,9] (3x3 grid, 3x3 window); row 4 fully masked -> zeros",
           lambda x, mask: F.softmax(x + mask, dim=-1), {"x": randn(2, 2, 9, 9, scale=2.0)}, {"mask": mask},
           params={"grid_h": 3, "grid_w": 3, "window": 3, "fully_masked_row": 4}, fix=zero_full_rows)


def layer_norm_cases(w):
    D = 8
    w.case("layer_norm/affine", "layer_norm", "x [L=4,B=2,D=8], weight and bias [8], eps 1e-5",
           lambda x, weight, bias: F.layer_norm(x, (D,), weight, bias, eps=1e-5),
           {"x": randn(4, 2, D), "weight": 1 + randn(D, scale=0.3), "bias": randn(D, scale=0.3)}, params={"eps": 1e-5})
    w.case("layer_norm/offset", "layer_norm", "x with mean 10 and small spread (cancellation), eps 1e-5",
           lambda x, weight, bias: F.layer_norm(x, (D,), weight, bias, eps=1e-5),
           {"x": 10 + randn(3, D, scale=0.5), "weight": 1 + randn(D, scale=0.3), "bias": randn(D, scale=0.3)},
           params={"eps": 1e-5})


def conv_params(stride=1, pad=(0, 0, 0, 0), dilation=1, groups=1, bias=True):
    top, bottom, left, right = pad
    return {"stride_h": stride, "stride_w": stride, "pad_top": top, "pad_bottom": bottom, "pad_left": left,
            "pad_right": right, "dilation_h": dilation, "dilation_w": dilation, "groups": groups, "has_bias": bias}


def conv_cases(w):
    w.case("conv2d/plain_bias", "conv2d", "x [2,3,7,6], weight [4,3,3,3], bias, stride 1, padding 1",
           lambda x, weight, bias: F.conv2d(x, weight, bias, padding=1),
           {"x": randn(2, 3, 7, 6), "weight": randn(4, 3, 3, 3), "bias": randn(4)}, params=conv_params(pad=(1, 1, 1, 1)))
    # Asymmetric padding as TensorFlow's "same" makes it (more at the bottom/right), via F.pad.
    w.case("conv2d/stride2_asym_pad", "conv2d",
           "x [1,2,8,7], weight [3,2,3,3], bias, stride 2, F.pad top 1 bottom 2 left 0 right 1",
           lambda x, weight, bias: F.conv2d(F.pad(x, (0, 1, 1, 2)), weight, bias, stride=2),
           {"x": randn(1, 2, 8, 7), "weight": randn(3, 2, 3, 3), "bias": randn(3)},
           params=conv_params(stride=2, pad=(1, 2, 0, 1)))
    w.case("conv2d/dilation2_nobias", "conv2d", "x [1,2,9,9], weight [3,2,3,3], no bias, dilation 2, padding 2",
           lambda x, weight: F.conv2d(x, weight, None, padding=2, dilation=2),
           {"x": randn(1, 2, 9, 9), "weight": randn(3, 2, 3, 3)}, params=conv_params(pad=(2, 2, 2, 2), dilation=2, bias=False))
    w.case("conv2d/groups2", "conv2d", "x [2,4,6,6], weight [6,2,3,3], bias, groups 2, padding 1",
           lambda x, weight, bias: F.conv2d(x, weight, bias, padding=1, groups=2),
           {"x": randn(2, 4, 6, 6), "weight": randn(6, 2, 3, 3), "bias": randn(6)},
           params=conv_params(pad=(1, 1, 1, 1), groups=2))
    w.case("conv2d/depthwise_stride2", "conv2d", "x [1,4,8,8], weight [4,1,5,5], bias, groups 4, stride 2, padding 2",
           lambda x, weight, bias: F.conv2d(x, weight, bias, stride=2, padding=2, groups=4),
           {"x": randn(1, 4, 8, 8), "weight": randn(4, 1, 5, 5), "bias": randn(4)},
           params=conv_params(stride=2, pad=(2, 2, 2, 2), groups=4))


def resize_cases(w):
    x = randn(1, 2, 5, 4)
    for size, tag in [((9, 7), "up"), ((3, 2), "down")]:
        for ac in (True, False):
            w.case(f"resize_bilinear/{tag}_align_corners_{str(ac).lower()}", "resize_bilinear",
                   f"x [1,2,5,4] -> {list(size)}, F.interpolate bilinear, align_corners={ac}",
                   lambda x, size=size, ac=ac: F.interpolate(x, size=size, mode="bilinear", align_corners=ac),
                   {"x": x}, params={"out_h": size[0], "out_w": size[1], "align_corners": ac})


def attention_by_hand(query, key, value, mask, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, heads):
    """The composition the C++ test uses, to check it agrees with torch's own function."""
    L, B, D = query.shape
    hd = D // heads
    wq, wk, wv = in_proj_weight.chunk(3)
    bq, bk, bv = in_proj_bias.chunk(3)
    def to_heads(t):  # [L, B, D] -> [B, H, L, hd]
        return t.reshape(t.shape[0], B, heads, hd).permute(1, 2, 0, 3)
    q, k, v = to_heads(F.linear(query, wq, bq)), to_heads(F.linear(key, wk, bk)), to_heads(F.linear(value, wv, bv))
    attn = F.softmax(q @ k.transpose(-2, -1) / math.sqrt(hd) + mask, dim=-1)
    ctx = (attn @ v).permute(2, 0, 1, 3).reshape(L, B, D)
    return F.linear(ctx, out_proj_weight, out_proj_bias)


def attention_cases(w):
    L, B, D, H = 12, 2, 8, 2
    mask = neighbour_mask(3, 4, 3)  # 3x4 grid, 3x3 window: no row is fully masked
    bound = math.sqrt(6 / (D + 3 * D))  # xavier uniform on the packed [3D, D] matrix, as UniAD
    inputs = {"query": randn(L, B, D), "key": randn(L, B, D), "value": randn(L, B, D),
              "in_proj_weight": torch.empty(3 * D, D).uniform_(-bound, bound), "in_proj_bias": randn(3 * D, scale=0.1),
              "out_proj_weight": torch.empty(D, D).uniform_(-0.5, 0.5), "out_proj_bias": randn(D, scale=0.1)}

    def mha(query, key, value, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, mask):
        out, _ = F.multi_head_attention_forward(
            query, key, value, D, H, in_proj_weight, in_proj_bias, None, None, False, 0.0, out_proj_weight,
            out_proj_bias, training=False, need_weights=False, attn_mask=mask)
        return out

    by_hand = attention_by_hand(**inputs, mask=mask, heads=H)
    assert torch.allclose(mha(**inputs, mask=mask), by_hand, rtol=0, atol=1e-12), "composition differs from torch"
    w.case("attention/masked_mha", "multi_head_attention",
           "F.multi_head_attention_forward, seq-first (L=12,B=2,D=8), 2 heads, packed in_proj [24,8], "
           "float neighbour mask [12,12] (3x4 grid, 3x3 window), dropout 0",
           mha, inputs, {"mask": mask}, params={"heads": H, "grid_h": 3, "grid_w": 4, "window": 3})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=DEFAULT_OUT)
    args = parser.parse_args()

    torch.manual_seed(SEED)
    torch.set_default_dtype(torch.float64)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    w = Writer(args.out)
    for family in (matmul_cases, activation_cases, softmax_cases, layer_norm_cases, conv_cases, resize_cases,
                   attention_cases):
        family(w)
    w.file.close()
    print("\n".join(w.summary))
    print(f"{len(w.summary)} cases written to {os.path.normpath(args.out)} ({os.path.getsize(args.out)} bytes)")


if __name__ == "__main__":
    main()

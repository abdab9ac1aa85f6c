#!/usr/bin/python3
"""The team's own PyTorch definition of the MBConv family, for parity tests and benchmarks.

It mirrors data/mbconv.h: a description (stem, blocks with expand ratio, kernel, stride,
channels, optional squeeze-excitation; ReLU6 or swish; TensorFlow "same" padding, dynamic or
static) and one module that runs it. The state_dict keys are the keys of the project's backbone
weight file (docs/backbones.md) with '/' written as '.': "block_3_expand.weight",
"block_3_expand_BN.running_var" for MobileNetV2 (Keras layer names), "_blocks.3._bn0.weight" for
EfficientNet-style names. BatchNorm runs in eval mode with eps 1e-3 (not folded: folding is the
C++ side's business, so this is the independent check).

    from mobilenet_v2_reference import mobilenet_v2_spec, MBConvNet, load_backbone_h5
    net = MBConvNet(mobilenet_v2_spec(), classifier=True); load_backbone_h5(net, "weights/mobilenet_v2.h5")
    maps = net.features(x, blocks=[0, 2, 5, 10])      # x [B, 3, S, S], already scaled
    probs = net.classify(x)                           # the whole nsfwjs network
"""
import dataclasses
import math
from typing import List, Optional

import h5py
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


@dataclasses.dataclass
class Block:
    name: str
    output_name: str
    cin: int
    cout: int
    expand_ratio: int
    kernel: int
    stride: int
    expand: tuple = ("", "")      # (conv key, bn key)
    depthwise: tuple = ("", "")
    project: tuple = ("", "")
    se_width: int = 0
    se_reduce: str = ""
    se_expand: str = ""

    @property
    def expanded(self):
        return self.cin * self.expand_ratio

    @property
    def residual(self):
        return self.stride == 1 and self.cin == self.cout


@dataclasses.dataclass
class Spec:
    architecture: str
    activation: str               # "relu6" or "swish"
    padding: str                  # "dynamic" or "static"
    static_image_size: int
    stem: tuple                   # (conv key, bn key)
    stem_channels: int
    stem_kernel: int
    stem_stride: int
    blocks: List[Block]
    head: tuple = ("", "")        # (conv key, bn key); empty: no head
    head_channels: int = 0
    bn_eps: float = 1e-3


def keras_make_divisible(v, divisor=8):
    """keras_applications' _make_divisible with min_value None."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def mobilenet_v2_spec(alpha=1.0, head_channels=0):
    """Keras MobileNetV2 (keras_applications, Keras 2.2.4 as in nsfwjs), Keras layer names."""
    stages = [(16, 1, 1, 1), (24, 2, 6, 2), (32, 2, 6, 3), (64, 2, 6, 4), (96, 1, 6, 3), (160, 2, 6, 3), (320, 1, 6, 1)]
    stem_channels = keras_make_divisible(32 * alpha)
    blocks, cin, bid = [], stem_channels, 0
    for filters, stride, expansion, repeats in stages:
        for r in range(repeats):
            prefix = "expanded_conv_" if bid == 0 else f"block_{bid}_"
            cout = keras_make_divisible(int(filters * alpha))
            s = stride if r == 0 else 1
            b = Block(name="expanded_conv" if bid == 0 else f"block_{bid}", output_name="", cin=cin, cout=cout,
                      expand_ratio=expansion, kernel=3, stride=s,
                      expand=(prefix + "expand", prefix + "expand_BN"),
                      depthwise=(prefix + "depthwise", prefix + "depthwise_BN"),
                      project=(prefix + "project", prefix + "project_BN"))
            b.output_name = prefix + ("add" if b.residual else "project_BN")
            blocks.append(b)
            cin, bid = cout, bid + 1
    if head_channels <= 0:
        head_channels = keras_make_divisible(1280 * alpha) if alpha > 1.0 else 1280
    return Spec("mobilenet_v2", "relu6", "dynamic", 0, ("Conv1", "bn_Conv1"), stem_channels, 3, 2, blocks,
                ("Conv_1", "Conv_1_bn"), head_channels)


def same_padding(n, kernel, stride):
    """(before, after) of TensorFlow "same" padding along an axis of size n."""
    total = max((math.ceil(n / stride) - 1) * stride + kernel - n, 0)
    return total // 2, total - total // 2


def _set_module(root, dotted, module):
    """Registers `module` at a dotted path ("_blocks.0._bn0"), making containers on the way."""
    parts = dotted.split(".")
    for p in parts[:-1]:
        if not hasattr(root, p):
            root.add_module(p, nn.Module())
        root = getattr(root, p)
    root.add_module(parts[-1], module)


def _get_module(root, dotted):
    for p in dotted.split("."):
        root = getattr(root, p)
    return root


class MBConvNet(nn.Module):
    """Runs a Spec. Key paths use '.' where the weight file uses '/'."""

    def __init__(self, spec: Spec, classifier=False, dense_widths=(256, 128, 5)):
        super().__init__()
        self.spec = spec

        def conv_bn(names, cin, cout, k, groups=1):
            _set_module(self, names[0].replace("/", "."), nn.Conv2d(cin, cout, k, bias=False, groups=groups))
            _set_module(self, names[1].replace("/", "."), nn.BatchNorm2d(cout, eps=spec.bn_eps))

        conv_bn(spec.stem, 3, spec.stem_channels, spec.stem_kernel)
        for b in spec.blocks:
            e = b.expanded
            if b.expand_ratio > 1:
                conv_bn(b.expand, b.cin, e, 1)
            conv_bn(b.depthwise, e, e, b.kernel, groups=e)
            if b.se_width > 0:
                _set_module(self, b.se_reduce.replace("/", "."), nn.Conv2d(e, b.se_width, 1))
                _set_module(self, b.se_expand.replace("/", "."), nn.Conv2d(b.se_width, e, 1))
            conv_bn(b.project, e, b.cout, 1)
        self.dense_names = []
        if spec.head[0]:
            conv_bn(spec.head, spec.blocks[-1].cout, spec.head_channels, 1)
        if classifier:
            width = spec.head_channels
            for i, out in enumerate(dense_widths):
                name = f"dense_{i + 1}"
                self.add_module(name, nn.Linear(width, out))
                self.dense_names.append(name)
                width = out
        self.eval()

    def _act(self, x):
        return F.relu6(x) if self.spec.activation == "relu6" else x * torch.sigmoid(x)

    def _conv_bn(self, names, x, stride, nominal, act=True):
        conv = _get_module(self, names[0].replace("/", "."))
        bn = _get_module(self, names[1].replace("/", "."))
        k = conv.kernel_size[0]
        static = self.spec.padding == "static"
        top, bottom = same_padding(nominal if static else x.shape[2], k, stride)
        left, right = same_padding(nominal if static else x.shape[3], k, stride)
        x = F.pad(x, (left, right, top, bottom))
        x = bn(F.conv2d(x, conv.weight, None, stride, 0, 1, conv.groups))
        return self._act(x) if act else x

    def _block(self, b: Block, x, nominal):
        h = x
        if b.expand_ratio > 1:
            h = self._conv_bn(b.expand, h, 1, nominal)
        h = self._conv_bn(b.depthwise, h, b.stride, nominal)
        if b.se_width > 0:
            s = h.mean(dim=(2, 3), keepdim=True)
            s = self._act(_get_module(self, b.se_reduce.replace("/", "."))(s))
            h = h * torch.sigmoid(_get_module(self, b.se_expand.replace("/", "."))(s))
        y = self._conv_bn(b.project, h, 1, math.ceil(nominal / b.stride), act=False)
        return y + x if b.residual else y

    def run(self, x, last_block):
        """Yields (block index, map) for the stem (-1) and blocks 0..last_block."""
        nominal = self.spec.static_image_size
        x = self._conv_bn(self.spec.stem, x, self.spec.stem_stride, nominal)
        yield -1, x
        nominal = math.ceil(nominal / self.spec.stem_stride)
        for i in range(last_block + 1):
            b = self.spec.blocks[i]
            x = self._block(b, x, nominal)
            yield i, x
            nominal = math.ceil(nominal / b.stride)

    @torch.no_grad()
    def features(self, x, blocks):
        wanted = {}
        for i, m in self.run(x, max(blocks)):
            if i in blocks:
                wanted[i] = m
        return [wanted[b] for b in blocks]

    @torch.no_grad()
    def head_output(self, x):
        *_, (_, last) = self.run(x, len(self.spec.blocks) - 1)
        return self._conv_bn(self.spec.head, last, 1, 0)

    @torch.no_grad()
    def classify(self, x):
        """Head, global average pooling (nsfwjs's 7x7 average pooling at 224 px), Dense layers."""
        h = self.head_output(x).mean(dim=(2, 3))
        for i, name in enumerate(self.dense_names):
            h = getattr(self, name)(h)
            h = F.relu(h) if i + 1 < len(self.dense_names) else torch.softmax(h, dim=-1)
        return h


def state_to_h5(net: nn.Module, f: h5py.File, compress=False):
    """Writes every parameter and buffer (but num_batches_tracked) as float32 at its key path;
    compress: gzip (with byte shuffling) for tensors large enough to repay a chunked layout."""
    for key, t in net.state_dict().items():
        if key.endswith("num_batches_tracked"):
            continue
        data = t.detach().numpy().astype(np.float32)
        options = dict(compression="gzip", compression_opts=9, shuffle=True) if compress and data.size >= 4096 else {}
        f.create_dataset(key.replace(".", "/"), data=data, **options)


def load_backbone_h5(net: nn.Module, path, architecture=None):
    """Loads a backbone weight file; every key of the module must be in it (extra keys are allowed)."""
    with h5py.File(path, "r") as f:
        if architecture is not None and f.attrs.get("architecture") != architecture:
            raise ValueError(f"{path}: architecture {f.attrs.get('architecture')!r}, expected {architecture!r}")
        state = {}
        f.visititems(lambda name, obj: state.__setitem__(name.replace("/", "."), torch.from_numpy(obj[()]))
                     if isinstance(obj, h5py.Dataset) else None)
    own = net.state_dict()
    missing = [k for k in own if k not in state and not k.endswith("num_batches_tracked")]
    if missing:
        raise KeyError(f"{path}: missing {missing[:5]}{' ...' if len(missing) > 5 else ''}")
    for k, v in own.items():
        if k in state:
            if tuple(state[k].shape) != tuple(v.shape):
                raise ValueError(f"{path}: {k} has shape {tuple(state[k].shape)}, expected {tuple(v.shape)}")
            v.copy_(state[k])
    return net


def dense_widths_in(path):
    """The widths of dense_1, dense_2, ... stored in a weight file."""
    widths = []
    with h5py.File(path, "r") as f:
        while f"dense_{len(widths) + 1}/weight" in f:
            widths.append(f[f"dense_{len(widths) + 1}/weight"].shape[0])
    return tuple(widths)

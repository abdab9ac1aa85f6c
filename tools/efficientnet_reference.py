#!/usr/bin/python3
"""The team's own PyTorch EfficientNet (B4 by default), for converting weights and parity tests.

Written from the architecture of the lukemelas EfficientNet-PyTorch port (efficientnet_pytorch
0.7, the port UniAD's reference uses) so that its state_dict keys and shapes are IDENTICAL to
that port's: a user's efficientnet-b4-6ed6700e.pth loads here with strict=True.

    _conv_stem.weight, _bn0.*                       stem: 3x3 stride 2 conv, BatchNorm, swish
    _blocks.N._expand_conv.weight, _blocks.N._bn0.*  1x1 expansion (absent when expand ratio 1)
    _blocks.N._depthwise_conv.weight, _blocks.N._bn1.*
    _blocks.N._se_reduce.weight/bias, _blocks.N._se_expand.weight/bias   squeeze-excitation
    _blocks.N._project_conv.weight, _blocks.N._bn2.*
    _conv_head.weight, _bn1.*, _fc.weight/bias       head (1x1 conv to 1792) and classifier

Architecture facts (lukemelas utils.py / model.py):
- Seven stages (repeats, kernel, stride, expand ratio, in, out) of the B0 table; EfficientNet-B4
  scales channels by width 1.4 (round_filters: nearest multiple of 8, never more than 10% down)
  and repeats by depth 1.8 (ceil): 2, 4, 4, 6, 6, 8, 2 = 32 blocks.
- The first block of a stage has the stage's stride and input channels; the others stride 1 and
  in = out, which gives them the residual connection (drop_connect is the identity at eval).
- BatchNorm eps 1e-3, momentum 0.01 (PyTorch convention, i.e. TensorFlow's 0.99); swish
  x * sigmoid(x) everywhere, including inside squeeze-excitation.
- Squeeze-excitation width max(1, int(block input channels * 0.25)), from the block's INPUT
  channels, not its expanded ones; 1x1 convs with bias on the channel means.
- "Same" padding is STATIC (Conv2dStaticSamePadding): each conv's padding is computed once for
  the map size it would see on a 380 x 380 image (ceil(n / stride) along the net), and used
  whatever the real input size is. total = max((ceil(n/s) - 1) s + k - n, 0), total // 2 before,
  the rest after. At 224 px this differs from dynamic padding in one conv only: the stride-2 5x5
  depthwise conv of block 6 (first of the 40*1.4 = 56-channel stage) pads 2 on every side where
  dynamic padding would pad (1, 2).

Feature blocks for UniAD (0-based): 1, 5, 9, 21 -> 24, 32, 56, 160 channels at strides 2, 4, 8,
16; the CIFAR protocol adds block 31 (448 channels, stride 32).

    /usr/bin/python3 tools/efficientnet_reference.py                      # block table, counts
    /usr/bin/python3 tools/efficientnet_reference.py --check WEIGHTS.pth  # strict load + forward
"""
import argparse
import dataclasses
import math
from typing import List, Optional

import torch
import torch.nn.functional as F
from torch import nn

# The B0 stage table (lukemelas blocks_args 'r1_k3_s11_e1_i32_o16_se0.25', ...):
# (repeats, kernel, stride, expand ratio, input filters, output filters); SE ratio 0.25 everywhere.
B0_STAGES = [
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
]
SE_RATIO = 0.25
BN_EPS = 1e-3
BN_MOMENTUM = 0.01  # 1 - TensorFlow's 0.99
DEPTH_DIVISOR = 8

B4_WIDTH, B4_DEPTH, B4_IMAGE_SIZE, B4_DROPOUT = 1.4, 1.8, 380, 0.4
FEATURE_BLOCKS = [1, 5, 9, 21]        # MVTec protocol: strides 2, 4, 8, 16
CIFAR_FEATURE_BLOCKS = [1, 5, 9, 21, 31]


def round_filters(filters, width):
    """Channels scaled by the width multiplier, rounded to a multiple of 8 (lukemelas/TF rule)."""
    scaled = filters * width
    new = max(DEPTH_DIVISOR, int(scaled + DEPTH_DIVISOR / 2) // DEPTH_DIVISOR * DEPTH_DIVISOR)
    if new < 0.9 * scaled:  # never round down by more than 10%
        new += DEPTH_DIVISOR
    return int(new)


def round_repeats(repeats, depth):
    return int(math.ceil(depth * repeats))


def same_padding(n, kernel, stride):
    """(before, after) of TensorFlow "same" padding along an axis of size n."""
    total = max((math.ceil(n / stride) - 1) * stride + kernel - n, 0)
    return total // 2, total - total // 2


@dataclasses.dataclass
class BlockArgs:
    index: int
    cin: int
    cout: int
    expand_ratio: int
    kernel: int
    stride: int
    se_width: int
    nominal: Optional[int]  # the map side this block sees on a static_image_size image
    first_in_stage: bool

    @property
    def expanded(self):
        return self.cin * self.expand_ratio

    @property
    def residual(self):
        # lukemelas tests `stride == 1` where a stage's first block holds stride as the list [s],
        # so a stage's first block never gets the residual, even with stride 1 and in == out
        # (which never happens in B0-B7; only reduced test variants could hit it).
        return not self.first_in_stage and self.stride == 1 and self.cin == self.cout


def block_table(width=B4_WIDTH, depth=B4_DEPTH, image_size: Optional[int] = B4_IMAGE_SIZE) -> List[BlockArgs]:
    """Every MBConv block in order, with the nominal map side its static padding is computed for
    (None: dynamic padding)."""
    blocks = []
    nominal = None if image_size is None else math.ceil(image_size / 2)  # after the stem
    for repeats, k, s, e, fin, fout in B0_STAGES:
        cin, cout = round_filters(fin, width), round_filters(fout, width)
        for r in range(round_repeats(repeats, depth)):
            stride = s if r == 0 else 1
            se = max(1, int(cin * SE_RATIO))
            blocks.append(BlockArgs(len(blocks), cin, cout, e, k, stride, se, nominal, r == 0))
            if nominal is not None:
                nominal = math.ceil(nominal / stride)
            cin = cout
    return blocks


class SamePadConv2d(nn.Conv2d):
    """nn.Conv2d with TensorFlow "same" padding: static (computed for `image_size`, like lukemelas'
    Conv2dStaticSamePadding) or dynamic (image_size None: from the actual input). Its parameters
    are a plain Conv2d's, so state_dict keys are unchanged."""

    def __init__(self, cin, cout, kernel, stride=1, groups=1, bias=False, image_size: Optional[int] = None):
        super().__init__(cin, cout, kernel, stride=stride, padding=0, groups=groups, bias=bias)
        self.static_pad = None
        if image_size is not None:
            before, after = same_padding(image_size, kernel, stride)
            self.static_pad = (before, after, before, after)  # (left, right, top, bottom)

    def pad_for(self, x):
        if self.static_pad is not None:
            return self.static_pad
        k, s = self.kernel_size[0], self.stride[0]
        top, bottom = same_padding(x.shape[2], k, s)
        left, right = same_padding(x.shape[3], k, s)
        return (left, right, top, bottom)

    def forward(self, x):
        return super().forward(F.pad(x, self.pad_for(x)))


def swish(x):
    return x * torch.sigmoid(x)


class MBConvBlock(nn.Module):
    """Expansion 1x1 (when ratio > 1) -> depthwise k x k -> squeeze-excitation -> projection 1x1,
    BatchNorm after each conv, swish after the first two, residual when stride 1 and in == out."""

    def __init__(self, a: BlockArgs):
        super().__init__()
        self.args = a
        e, n = a.expanded, a.nominal
        if a.expand_ratio != 1:
            self._expand_conv = SamePadConv2d(a.cin, e, 1, image_size=n)
            self._bn0 = nn.BatchNorm2d(e, eps=BN_EPS, momentum=BN_MOMENTUM)
        self._depthwise_conv = SamePadConv2d(e, e, a.kernel, stride=a.stride, groups=e, image_size=n)
        self._bn1 = nn.BatchNorm2d(e, eps=BN_EPS, momentum=BN_MOMENTUM)
        self._se_reduce = nn.Conv2d(e, a.se_width, 1)
        self._se_expand = nn.Conv2d(a.se_width, e, 1)
        out_n = None if n is None else math.ceil(n / a.stride)
        self._project_conv = SamePadConv2d(e, a.cout, 1, image_size=out_n)
        self._bn2 = nn.BatchNorm2d(a.cout, eps=BN_EPS, momentum=BN_MOMENTUM)

    def forward(self, x):
        h = x  # [B, in, H, W]
        if self.args.expand_ratio != 1:
            h = swish(self._bn0(self._expand_conv(h)))  # [B, E, H, W]
        h = swish(self._bn1(self._depthwise_conv(h)))  # [B, E, H/s, W/s]
        s = F.adaptive_avg_pool2d(h, 1)  # [B, E, 1, 1]
        h = torch.sigmoid(self._se_expand(swish(self._se_reduce(s)))) * h
        y = self._bn2(self._project_conv(h))  # [B, out, H/s, W/s]
        return y + x if self.args.residual else y


class EfficientNet(nn.Module):
    """EfficientNet with lukemelas key names. `image_size` sets the static padding (None: dynamic,
    for comparison only; the published weights were used with static padding for 380)."""

    def __init__(self, width=B4_WIDTH, depth=B4_DEPTH, image_size: Optional[int] = B4_IMAGE_SIZE,
                 num_classes=1000, dropout=B4_DROPOUT):
        super().__init__()
        self.width, self.depth, self.image_size = width, depth, image_size
        stem = round_filters(32, width)
        self._conv_stem = SamePadConv2d(3, stem, 3, stride=2, image_size=image_size)
        self._bn0 = nn.BatchNorm2d(stem, eps=BN_EPS, momentum=BN_MOMENTUM)
        table = block_table(width, depth, image_size)
        self._blocks = nn.ModuleList([MBConvBlock(a) for a in table])
        head = round_filters(1280, width)
        last_n = None if image_size is None else math.ceil(image_size / 32)
        self._conv_head = SamePadConv2d(table[-1].cout, head, 1, image_size=last_n)
        self._bn1 = nn.BatchNorm2d(head, eps=BN_EPS, momentum=BN_MOMENTUM)
        self._avg_pooling = nn.AdaptiveAvgPool2d(1)
        self._dropout = nn.Dropout(dropout)
        self._fc = nn.Linear(head, num_classes)

    def stem(self, x):
        return swish(self._bn0(self._conv_stem(x)))  # [B, stem, S/2, S/2]

    @torch.no_grad()
    def features(self, x, blocks=FEATURE_BLOCKS):
        """x [B, 3, S, S] (ImageNet-normalised) -> the output of each requested block (-1: stem),
        in request order. Runs in eval mode whatever the module's mode."""
        was_training = self.training
        self.eval()
        got = {}
        h = self.stem(x)
        got[-1] = h
        for i in range(max(blocks) + 1):
            h = self._blocks[i](h)
            got[i] = h
        self.train(was_training)
        return [got[b] for b in blocks]

    def forward(self, x):
        h = self.stem(x)
        for blk in self._blocks:
            h = blk(h)
        h = swish(self._bn1(self._conv_head(h)))  # [B, 1792, S/32, S/32]
        h = self._dropout(self._avg_pooling(h).flatten(1))
        return self._fc(h)  # [B, classes]


def efficientnet_b4(**kwargs):
    return EfficientNet(B4_WIDTH, B4_DEPTH, B4_IMAGE_SIZE, **kwargs)


def describe(width, depth, image_size):
    net = EfficientNet(width, depth, image_size)
    print(f"EfficientNet width {width} depth {depth}, static padding for {image_size} px: "
          f"{len(net._blocks)} blocks, {sum(p.numel() for p in net.parameters()):,} parameters, "
          f"stem {net._conv_stem.out_channels}, head {net._conv_head.out_channels}")
    stride = 2
    print(" block  in  out  exp  k  s  se  residual  nominal  pad(static)  pad@224(dynamic)")
    side224 = 112
    for a, blk in zip(block_table(width, depth, image_size), net._blocks):
        stride *= a.stride
        pad = blk._depthwise_conv.static_pad
        dyn = same_padding(side224, a.kernel, a.stride)
        mark = "  <- differs" if pad is not None and pad[2:] != dyn else ""
        print(f"{a.index:6d} {a.cin:4d} {a.cout:4d} {a.expand_ratio:4d} {a.kernel:2d} {a.stride:2d} {a.se_width:3d}"
              f"  {str(a.residual):8s} {str(a.nominal):8s} {str(pad and pad[2:]):12s} {dyn}{mark}"
              f"   (stride {stride})")
        side224 = math.ceil(side224 / a.stride)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--width", type=float, default=B4_WIDTH)
    ap.add_argument("--depth", type=float, default=B4_DEPTH)
    ap.add_argument("--image-size", type=int, default=B4_IMAGE_SIZE)
    ap.add_argument("--check", metavar="PTH", help="load this lukemelas state dict with strict=True and run it")
    args = ap.parse_args()
    describe(args.width, args.depth, args.image_size)
    if args.check:
        net = EfficientNet(args.width, args.depth, args.image_size).eval()
        state = torch.load(args.check, map_location="cpu")
        net.load_state_dict(state, strict=True)
        x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(0))
        maps = net.features(x, CIFAR_FEATURE_BLOCKS)
        print(f"{args.check}: loaded with strict=True; features at 224 px:",
              ", ".join(f"block {b} {tuple(m.shape)}" for b, m in zip(CIFAR_FEATURE_BLOCKS, maps)))


if __name__ == "__main__":
    main()

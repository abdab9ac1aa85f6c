#!/usr/bin/python3
"""PyTorch side of bench_backbone: the same MobileNetV2 definition (tools/mobilenet_v2_reference.py)
with the same weight file, extracting the same features (scaling, blocks up to the deepest one,
bilinear align_corners resize to S/16, concatenation), timed in this process. Prints
    reference <median seconds>   the definition as written (eval BatchNorm after each conv)
    folded <median seconds>      BatchNorm folded into the convs, activations in place
    folded_cl <median seconds>   folded, channels_last memory format (oneDNN's preferred layout)
Run by build/bench/bench_backbone; not meant to be run by hand.
"""
import argparse
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from torch_timing import median_time  # noqa: E402  (bench/, the script's own folder)
from mobilenet_v2_reference import (MBConvNet, _get_module, load_backbone_h5, mobilenet_v2_spec,  # noqa: E402
                                    same_padding)


class Folded(torch.nn.Module):
    """The reference net with every BatchNorm folded into its conv (what the C++ side runs)."""

    def __init__(self, ref: MBConvNet):
        super().__init__()
        self.spec = ref.spec
        self.convs = {}
        eps = ref.spec.bn_eps

        def fold(names):
            conv, bn = _get_module(ref, names[0]), _get_module(ref, names[1])
            g = bn.weight / torch.sqrt(bn.running_var + eps)
            w = (conv.weight * g.view(-1, 1, 1, 1)).detach().contiguous()
            b = (bn.bias - bn.running_mean * g).detach().contiguous()
            self.convs[names[0]] = (w, b, conv.groups)

        fold(ref.spec.stem)
        for blk in ref.spec.blocks:
            for names in (blk.expand, blk.depthwise, blk.project):
                if names[0] and (names is not blk.expand or blk.expand_ratio > 1):
                    fold(names)

    def to_channels_last(self):
        self.convs = {k: (w.contiguous(memory_format=torch.channels_last), b, g) for k, (w, b, g) in self.convs.items()}

    def conv(self, name, x, stride):
        w, b, groups = self.convs[name]
        k = w.shape[2]
        top, bottom = same_padding(x.shape[2], k, stride)
        left, right = same_padding(x.shape[3], k, stride)
        if top == bottom and left == right:
            return F.conv2d(x, w, b, stride, (top, left), 1, groups)
        return F.conv2d(F.pad(x, (left, right, top, bottom)), w, b, stride, 0, 1, groups)

    def features(self, x, blocks):
        out = {}
        x = F.relu6(self.conv(self.spec.stem[0], x, self.spec.stem_stride), inplace=True)
        for i in range(max(blocks) + 1):
            b = self.spec.blocks[i]
            h = x
            if b.expand_ratio > 1:
                h = F.relu6(self.conv(b.expand[0], h, 1), inplace=True)
            h = F.relu6(self.conv(b.depthwise[0], h, b.stride), inplace=True)
            y = self.conv(b.project[0], h, 1)
            x = y.add_(x) if b.residual else y
            if i in blocks:
                out[i] = x
        return [out[b] for b in blocks]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--blocks", default="0,2,5,10")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    blocks = [int(b) for b in args.blocks.split(",")]
    grid = args.size // 16
    ref = MBConvNet(mobilenet_v2_spec())
    load_backbone_h5(ref, args.weights, architecture="mobilenet_v2")
    folded = Folded(ref)
    torch.manual_seed(0)
    images = torch.rand(args.batch, 3, args.size, args.size)  # [B, 3, S, S], pixel / 255

    def extract(net, x):
        with torch.no_grad():
            maps = net.features(x * 2 - 1, blocks)  # symmetric scaling, the extractor's default
            return torch.cat([F.interpolate(m, size=(grid, grid), mode="bilinear", align_corners=True)
                              for m in maps], 1)

    print("reference", median_time(lambda: extract(ref, images), args.repeats), flush=True)
    print("folded", median_time(lambda: extract(folded, images), args.repeats), flush=True)
    folded.to_channels_last()
    images_cl = images.contiguous(memory_format=torch.channels_last)
    print("folded_cl", median_time(lambda: extract(folded, images_cl), args.repeats), flush=True)


if __name__ == "__main__":
    main()

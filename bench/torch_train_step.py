#!/usr/bin/python3
"""PyTorch side of bench_train_step: the same reconstruction model (tools/uniad_reference.py),
same batch, same optimiser settings, timed in this process and printed as
    train_step <median seconds>
    eval_forward <median seconds>
Run by build/bench/bench_train_step; not meant to be run by hand.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from torch_timing import median_time  # noqa: E402  (bench/, the script's own folder)
from uniad_reference import ModelConfig, ReconstructionModel  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=8)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = ReconstructionModel(ModelConfig())  # paper size, dropout 0.1, jitter on in train mode
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-4)
    features = torch.randn(args.batch, 272, 14, 14)

    def train_step():
        model.train()
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.mse_loss(model(features), features)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optimizer.step()

    def eval_forward():
        model.eval()
        with torch.no_grad():
            model(features)

    print("train_step", median_time(train_step, args.repeats), flush=True)
    print("eval_forward", median_time(eval_forward, args.repeats), flush=True)


if __name__ == "__main__":
    main()

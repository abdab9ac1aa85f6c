#!/usr/bin/python3
"""PyTorch side of the model benchmark (bench/model_bench.cpp): the same reconstruction model
(tools/uniad_reference.py), same batch, same optimiser settings, timed in this process and
printed as "name value" lines:
    train_step <median seconds>        forward, backward, clipping, AdamW
    eval_forward <median seconds>      no_grad forward in eval mode
    peak_rss_growth <bytes>            resident high-water mark during the training steps,
                                       minus the resident set just before them
    sgemm_gflops <GFLOP/s>             torch.mm on [S, S] x [S, S] (--sgemm-size S)
Run by build/bench/bench_train_step and `uniad bench`; not meant to be run by hand.
"""
import argparse
import os
import re
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from torch_timing import median_time  # noqa: E402  (bench/, the script's own folder)
from uniad_reference import ModelConfig, ReconstructionModel  # noqa: E402


def status_bytes(field):
    with open("/proc/self/status") as f:
        return int(re.search(field + r":\s+(\d+)", f.read()).group(1)) * 1024


def reset_peak_rss():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def sgemm_gflops(size, repeats):
    a, b = torch.randn(size, size), torch.randn(size, size)
    times = []
    torch.mm(a, b)
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - start)
    return 2.0 * size ** 3 / statistics.median(times) / 1e9


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--sgemm-size", type=int, default=0, help="0: skip the sgemm measurement")
    parser.add_argument("--train-only", action="store_true")
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

    baseline = status_bytes("VmRSS")
    can_reset = reset_peak_rss()
    print("train_step", median_time(train_step, args.repeats), flush=True)
    if can_reset:
        print("peak_rss_growth", status_bytes("VmHWM") - baseline, flush=True)
    if args.train_only:
        return
    print("eval_forward", median_time(eval_forward, args.repeats), flush=True)
    if args.sgemm_size > 0:
        print("sgemm_gflops", sgemm_gflops(args.sgemm_size, max(args.repeats, 5)), flush=True)


if __name__ == "__main__":
    main()

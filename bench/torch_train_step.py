#!/usr/bin/python3
"""PyTorch side of the model benchmark (bench/model_bench.cpp): the same reconstruction model
(tools/uniad_reference.py), same batch, same optimiser settings, timed in this process and
printed as "name value" lines:
    train_step <median seconds>        forward, backward, clipping, AdamW
    eval_forward <median seconds>      no_grad forward in eval mode
    peak_rss_growth <bytes>            resident high-water mark during the training steps,
                                       minus the resident set just before them
    sgemm_gflops <GFLOP/s>             torch.mm on [S, S] x [S, S] (--sgemm-size S)
With --device cuda (bench/gpu_model_bench.cpp) the model runs on the GPU, each timed call ends
with torch.cuda.synchronize(), and the memory line is instead
    peak_gpu_bytes <bytes>             torch.cuda.max_memory_allocated() over the timed steps
--precision sets float32 matmuls: fp32 (IEEE) or tf32 like ours; bf16 runs forward and loss under
torch.autocast(bfloat16), which is not like for like (activations in bf16 too).
Run by build/bench/bench_train_step and `uniad bench`; not meant to be run by hand.
"""
import argparse
import contextlib
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


def set_float32_matmul(precision):
    """IEEE float32 or TF32 for float32 matmuls, the model's only products (bf16 uses autocast)."""
    tf32 = precision == "tf32"
    matmul = torch.backends.cuda.matmul
    try:  # PyTorch >= 2.9, whose old flag below may not be mixed with this one
        matmul.fp32_precision = "tf32" if tf32 else "ieee"
    except (AttributeError, AssertionError):  # older PyTorch: no such attribute
        matmul.allow_tf32 = tf32


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--sgemm-size", type=int, default=0, help="0: skip the sgemm measurement")
    parser.add_argument("--train-only", action="store_true")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", choices=("fp32", "tf32", "bf16"), default="fp32", help="GPU only")
    parser.add_argument("--warmups", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    gpu = device.type == "cuda"
    if gpu:
        set_float32_matmul(args.precision)

    def precision_scope():  # bf16 on a GPU: autocast; otherwise nothing
        if gpu and args.precision == "bf16":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    model = ReconstructionModel(ModelConfig()).to(device)  # paper size, dropout 0.1, jitter on in train mode
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-4)
    features = torch.randn(args.batch, 272, 14, 14).to(device)

    def train_step():
        model.train()
        optimizer.zero_grad(set_to_none=True)
        with precision_scope():
            loss = torch.nn.functional.mse_loss(model(features), features)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optimizer.step()

    def eval_forward():
        model.eval()
        with torch.no_grad(), precision_scope():
            model(features)

    if gpu:
        sync = torch.cuda.synchronize
        for _ in range(args.warmups):  # cuBLAS set-up, the caching allocator, AdamW's state
            train_step()
        sync()
        torch.cuda.reset_peak_memory_stats()
        print("train_step", median_time(train_step, args.repeats, warmups=0, sync=sync), flush=True)
        print("peak_gpu_bytes", torch.cuda.max_memory_allocated(), flush=True)
        print("eval_forward", median_time(eval_forward, args.repeats, warmups=args.warmups, sync=sync), flush=True)
        return

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

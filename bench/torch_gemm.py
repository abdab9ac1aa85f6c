#!/usr/bin/python3
"""PyTorch side of bench_gemm: times the same GEMM shapes with torch (OpenBLAS on Debian).

Reads one shape per line on stdin: "name batch M K N trans_a trans_b", prints one line per
shape: "name median_seconds". Run by build/bench/bench_gemm; not meant to be run by hand.
"""
import argparse
import statistics
import sys
import time

import torch


def make_operand(batch, rows, cols, transposed):
    shape = (cols, rows) if transposed else (rows, cols)
    if batch > 1:
        shape = (batch,) + shape
    t = torch.randn(*shape)
    return t.transpose(-1, -2) if transposed else t


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for line in sys.stdin:
        if not line.strip():
            continue
        name, batch, m, k, n, ta, tb = line.split()
        batch, m, k, n = int(batch), int(m), int(k), int(n)
        a = make_operand(batch, m, k, ta == "1")
        b = make_operand(batch, k, n, tb == "1")
        for _ in range(3):
            torch.matmul(a, b)
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            torch.matmul(a, b)
            times.append(time.perf_counter() - start)
        print(name, statistics.median(times), flush=True)


if __name__ == "__main__":
    main()

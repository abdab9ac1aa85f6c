#!/usr/bin/env python3
"""Rewrites one CUDA source (tensor/cuda/*.cu) into C++ for the emulator.

Four rewrites, nothing else changes (line numbers are kept, so compiler errors and the
emulator's messages point at the .cu line):
  kernel<T><<<grid, block, shared, stream>>>(args)
      -> ::uniad::emu::launch("kernel", grid, block, shared, stream,
                               [](auto... a) { kernel<T>(a...); }, args)
     (the arguments are evaluated once, as for a real launch; every emulated thread gets copies)
  extern __shared__ __align__(16) unsigned char name[];
      -> unsigned char* name = ::uniad::emu::dynamic_shared<unsigned char>();
  __shared__ double name[32];
      -> static double name[32]; ::uniad::emu::poison_shared(name, sizeof(name));
  a first line that includes the emulator's header.
Usage: cu_to_cpp.py in.cu out.cpp
"""
import re
import sys

LAUNCH = re.compile(r"([A-Za-z_]\w*(?:\s*<[^<>;()]*(?:<[^<>;()]*>[^<>;()]*)*>)?)\s*<<<(.*?)>>>\s*\(", re.S)
STATIC_SHARED = re.compile(r"(?<!extern )__shared__\s+([\w:<>\s]+?)\s+(\w+)\s*((?:\[[^\]]+\])+)\s*;")
EXTERN_SHARED = re.compile(r"extern\s+__shared__\s+(?:__align__\(\s*\d+\s*\)\s+)?([\w:\s]+?)\s+(\w+)\s*\[\s*\]\s*;")


def closing_paren(text, open_at):
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    raise SystemExit("cu_to_cpp.py: unbalanced launch arguments")


def rewrite_launches(text):
    out, pos = [], 0
    while True:
        m = LAUNCH.search(text, pos)
        if not m:
            out.append(text[pos:])
            return "".join(out)
        kernel = m.group(1)
        config = m.group(2)
        close = closing_paren(text, m.end() - 1)
        args = text[m.end():close]
        name = re.match(r"\w+", kernel).group(0)
        # keep the newlines of the original so line numbers stay put
        lost_lines = "\n" * text[m.start():m.end()].count("\n")
        call = (f'::uniad::emu::launch("{name}", {config}, [](auto... emu_args) {{ {kernel}(emu_args...); }}'
                + (f",{lost_lines} {args}" if args.strip() else lost_lines) + ")")
        out.append(text[pos:m.start()])
        out.append(call)
        pos = close + 1


def main():
    src, dst = sys.argv[1], sys.argv[2]
    text = open(src).read()
    text = rewrite_launches(text)
    text = EXTERN_SHARED.sub(lambda m: f"{m.group(1)}* {m.group(2)} = ::uniad::emu::dynamic_shared<{m.group(1)}>();",
                             text)
    # Static shared arrays: one copy (blocks run one at a time), poisoned when a block first
    # reaches the declaration so that a read before any write shows.
    text = STATIC_SHARED.sub(lambda m: f"static {m.group(1)} {m.group(2)}{m.group(3)}; "
                             f"::uniad::emu::poison_shared({m.group(2)}, sizeof({m.group(2)}));", text)
    header = f'#include "cuda_emulator.h"  // generated from {src} by cu_to_cpp.py\n'
    # The #line keeps the .cu file's name and numbering in diagnostics.
    open(dst, "w").write(header + f'#line 1 "{src}"\n' + text)


if __name__ == "__main__":
    main()

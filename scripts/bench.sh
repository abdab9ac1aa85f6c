#!/usr/bin/env bash
# Builds and runs a benchmark next to the PyTorch anchor (installed here if missing), from a fresh
# clone, in one command:
#   scripts/bench.sh [model|gemm|backbone] [-- extra arguments]
#     model     (default) `uniad bench`: the paper-size model's training step and eval forward,
#               peak memory, GFLOP/s against sgemm, 1 -> 2 thread scaling; add -- --profile
#     gemm      the GEMM kernels on the transformer's shapes
#     backbone  the MobileNetV2 feature extractor (fetches the weights)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh
install_build_deps
install_torch_deps
which=${1:-model}
shift || true
[ "${1:-}" = "--" ] && shift
mkdir -p build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release > build/configure.log 2>&1 || { cat build/configure.log; exit 1; }
if [ "$which" = model ]; then
  cmake --build build --target uniad
  exec build/uniad bench "$@"
fi
cmake --build build --target "bench_$which"
if [ "$which" = backbone ]; then  # needs the real MobileNetV2 weights
  cmake --build build --target uniad
  scripts/fetch_mobilenet_v2.sh > build/fetch_weights.log 2>&1 || { cat build/fetch_weights.log; exit 1; }
fi
exec "build/bench/bench_$which" "$@"

#!/usr/bin/env bash
# Builds and runs the benchmarks next to the PyTorch anchor (installed here if missing).
#   scripts/bench.sh [gemm|train_step|backbone] [-- extra arguments for the benchmark]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh
install_build_deps
install_torch_deps
which=${1:-gemm}
shift || true
[ "${1:-}" = "--" ] && shift
mkdir -p build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release > build/configure.log 2>&1 || { cat build/configure.log; exit 1; }
cmake --build build --target "bench_$which"
if [ "$which" = backbone ]; then  # needs the real MobileNetV2 weights
  cmake --build build --target uniad
  scripts/fetch_mobilenet_v2.sh > build/fetch_weights.log 2>&1 || { cat build/fetch_weights.log; exit 1; }
fi
exec "build/bench/bench_$which" "$@"

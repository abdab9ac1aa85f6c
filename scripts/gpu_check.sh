#!/usr/bin/env bash
# The GPU check, run from the repository root on a machine with an NVIDIA GPU, a CUDA toolkit,
# CMake, ninja, gcc and python3 with a CUDA torch, and the dependency bundle .gpu_deps/ made by
# scripts/gpu_bundle.sh (docs/cuda.md, Running the GPU check). In about 6 minutes:
#   1. the machine: nvidia-smi, nvcc, torch
#   2. configure build-gpu/ (Release, CUDA on, sm_90 SASS + compute_90 PTX, the bundle)
#   3. build uniad_tests, uniad and bench_train_step
#   4. uniad_tests -tc="*CUDA*,*device*": the CPU-vs-GPU op table, the device tests, the GPU
#      training-step check
#   5. the GPU benchmark against PyTorch eager at each precision in $PRECISIONS (fp32 tf32),
#      while the time budget lasts
# Everything goes to the terminal and to $OUT/gpu_check.log ($OUT when set, else build-gpu/).
# Exits 0 when every stage that ran passed; a failed stage does not stop later ones that can run.
#
#   scripts/gpu_check.sh [--configure-only | --build-only]
#     --configure-only   stages 1-2;  --build-only   stages 1-3 (both work without a GPU)
# Environment: JOBS (16), PRECISIONS ("fp32 tf32"), BUDGET_S (420: the whole script),
#              BUILD_LIMIT_S (300: the build stage), CMAKE_EXTRA (more cmake arguments, e.g. a
#              compiler launcher), UNIAD_PYTHON (python3)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

mode=all
case "${1:-}" in
  "") ;;
  --configure-only) mode=configure ;;
  --build-only) mode=build ;;
  *) echo "usage: scripts/gpu_check.sh [--configure-only | --build-only]" >&2; exit 2 ;;
esac

build="build-gpu"
jobs=${JOBS:-16}
precisions=${PRECISIONS:-fp32 tf32}
budget=${BUDGET_S:-420}
log_dir=${OUT:-$build}
mkdir -p "$log_dir" "$build"
log=$log_dir/gpu_check.log
: > "$log"
exec > >(tee -a "$log") 2>&1

if ! command -v nvcc > /dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi
export UNIAD_PYTHON=${UNIAD_PYTHON:-$(command -v python3 || echo /usr/bin/python3)}

failed=()
summary=()
# stage NAME MAX_SECONDS COMMAND...: runs COMMAND under a timeout of MAX_SECONDS or what is left
# of the budget, whichever is smaller, and records the outcome.
stage() {
  local name=$1 max=$2
  shift 2
  local left=$((budget - SECONDS))
  local limit=$((max < left ? max : left))
  echo
  echo "==== $name (limit ${limit} s, ${SECONDS} s elapsed) ===="
  if [ "$limit" -lt 15 ]; then
    echo "skipped: out of time budget"
    summary+=("$name: SKIPPED (time budget)")
    failed+=("$name")
    return 1
  fi
  local start=$SECONDS rc
  # The stage runs in a child bash (the functions below are exported), so that timeout can stop
  # it and everything it started.
  timeout -k 10 "$limit" bash -o pipefail -c '"$@"' "$name" "$@"
  rc=$?
  local took=$((SECONDS - start))
  if [ "$rc" -eq 0 ]; then
    summary+=("$name: ok (${took} s)")
  else
    [ "$rc" -eq 124 ] && echo "timed out after ${limit} s"
    if [ "$rc" -eq 77 ]; then  # the program found no GPU: a failure on a GPU machine
      summary+=("$name: FAILED rc=77: skipped itself, no usable GPU (${took} s)")
    else
      summary+=("$name: FAILED rc=$rc (${took} s)")
    fi
    failed+=("$name")
  fi
  return "$rc"
}

machine() {
  date -u
  nvidia-smi || echo "(no nvidia-smi)"
  nvcc --version || echo "(no nvcc)"
  cmake --version | head -1
  ninja --version
  g++ --version | head -1
  echo "python: $UNIAD_PYTHON"
  "$UNIAD_PYTHON" -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda, 'GPU available:', torch.cuda.is_available())" \
    || echo "(no torch)"
  nproc
  return 0
}

configure() {
  # shellcheck disable=SC2086
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DUNIAD_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
    -DUNIAD_DEPS_DIR=.gpu_deps -DUNIAD_NATIVE=ON -DUNIAD_BUILD_BENCH=ON ${CMAKE_EXTRA:-}
}

compile() {
  # Progress lines dropped; warnings and errors stay in the log.
  ninja -C "$build" -j "$jobs" uniad_tests uniad bench_train_step | { grep -v -E '^\[[0-9]+/[0-9]+\] ' || true; }
}

gpu_tests() {
  "$build/tests/uniad_tests" -tc="*CUDA*,*device*"
}

gpu_bench() {
  "$build/bench/bench_train_step" --device cuda --precision "$1"
}

export build jobs CMAKE_EXTRA
export -f machine configure compile gpu_tests gpu_bench
stage "machine" 30 machine
if [ ! -f .gpu_deps/lib/libhdf5.a ]; then
  echo "no .gpu_deps/: make it with scripts/gpu_bundle.sh where the Debian packages are, and carry it here"
  exit 1
fi
stage "configure" 90 configure || { echo "configure failed: nothing to build"; mode=configure; }
if [ "$mode" != configure ]; then
  stage "build" "${BUILD_LIMIT_S:-300}" compile || mode=build
fi
if [ "$mode" = all ]; then
  stage "GPU tests" 150 gpu_tests
  for p in $precisions; do
    stage "GPU benchmark $p" 120 gpu_bench "$p"
  done
fi

echo
echo "==== summary (${SECONDS} s) ===="
printf '%s\n' "${summary[@]}"
echo "log: $log"
[ "${#failed[@]}" -eq 0 ]

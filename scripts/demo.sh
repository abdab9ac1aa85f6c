#!/usr/bin/env bash
# The main job, end to end, on a fresh Debian 12 machine: installs what is missing, builds,
# makes the embedded texture benchmark and the MobileNetV2 weights, caches the features, trains
# UniAD on all 17 texture classes at once (the unified setting), evaluates it beside the
# nearest-neighbour baseline, scores a few single images and writes the report.
#
#   scripts/demo.sh [--minutes M] [--retrain] [--run DIR]
#     --minutes M   training time budget (default 6); the schedule is fitted to it
#     --retrain     train again even when DIR/best.h5 exists
#     --run DIR     run directory (default runs/textures)
#
# Idempotent: every step whose output exists is skipped, so a second run only prints the results.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh

minutes=6
retrain=0
run=runs/textures
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --retrain) retrain=1; shift ;;
    --run) run=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "scripts/demo.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

step() { echo; echo "== $*"; }
phase_start=$(date +%s)
timing=()
lap() { local now; now=$(date +%s); timing+=("$1: $((now - phase_start)) s"); phase_start=$now; }

step "install missing packages"
install_build_deps
install_data_deps
install_node_deps
lap "install"

step "build build/uniad"
mkdir -p build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release > build/configure.log 2>&1 || { cat build/configure.log; exit 1; }
cmake --build build -j "$(nproc)" --target uniad
lap "build"
job_start=$(date +%s)

step "texture benchmark (.cache/textures) and MobileNetV2 weights (weights/)"
if [ -f .cache/textures/manifest.json ]; then echo "exists: .cache/textures"; else
  build/uniad prepare textures --out .cache/textures; fi
UNIAD=build/uniad scripts/fetch_mobilenet_v2.sh weights
lap "data and weights"

step "feature cache"
cache=.cache/features/textures_mobilenet_v2.h5
if [ -f "$cache" ]; then echo "exists: $cache"; else
  build/uniad features --config configs/textures_features.json; fi
lap "features"

step "train (unified, all classes, budget $minutes min)"
if [ -f "$run/best.h5" ] && [ "$retrain" = 0 ]; then echo "exists: $run/best.h5 (--retrain to train again)"; else
  build/uniad train --config configs/textures.json --out "$run" --minutes "$minutes" --force; fi
lap "train"

step "evaluate"
if [ -f "$run/eval/metrics.json" ] && [ "$run/eval/metrics.json" -nt "$run/best.h5" ]; then
  echo "exists: $run/eval/metrics.json"; else
  build/uniad eval --checkpoint "$run/best.h5"; fi
lap "eval"

step "predict on single images"
# One normal and two defective test images of two classes.
mapfile -t images < <(ls .cache/textures/*/test/good/000.png | head -n 1;
                      ls .cache/textures/*/test/hole/000.png | sed -n 2p;
                      ls .cache/textures/*/test/scratch/000.png | sed -n 3p)
build/uniad predict --checkpoint "$run/best.h5" --out "$run/predictions" "${images[@]}"
lap "predict"

step "report"
build/uniad report "$run" | tee "$run/report.log"
lap "report"

step "done"
printf '  %s\n' "${timing[@]}"
echo "  the job itself (after installs and the build): $(( $(date +%s) - job_start )) s"
echo
grep -A2 "^method" "$run/report.log" || true
echo "report: $run/report/report.html (and report.md beside it); heat maps in $run/eval/heatmaps/"

#!/usr/bin/env bash
# The three teaching notebooks (notebooks/*.ipynb) executed headless on outputs this script makes
# quickly: a tiny texture benchmark (3 classes, 96 px, 6 x 6 tokens), the five reconstruction
# networks plus UniAD without jitter and without the neighbour mask trained for 3 epochs each with
# the shortcut lab on, `uniad inspect` of UniAD with the mask and with it switched off, and the
# autograd trace. They are laid out as the notebooks expect them under UNIAD_NOTEBOOK_DATA
# (docs/notebooks.md). Fails when any notebook raises (each checks its numbers with asserts).
#   tests/notebooks_smoke.sh BUILD_DIR        (KEEP_TMP=1: keep the folder and the executed notebooks)
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
uniad="$build/uniad"
weights="$root/weights/mobilenet_v2.h5"
src=/usr/share/mypaint/backgrounds/ramon
skip() { echo "skipped: $*"; exit 77; }
[ -f "$weights" ] || skip "$weights is missing (scripts/fetch_mobilenet_v2.sh makes it)"
[ -d "$src" ] || skip "$src is missing (Debian's mypaint-data-extras; scripts/test.sh installs it)"
command -v jupyter > /dev/null && jupyter nbconvert --version > /dev/null 2>&1 ||
  skip "jupyter nbconvert is missing (scripts/test.sh installs NOTEBOOK_PACKAGES of scripts/lib/deps.sh)"
/usr/bin/python3 -c "import ipykernel, matplotlib, h5py, numpy" 2> /dev/null ||
  skip "the notebooks' Python packages are missing (NOTEBOOK_PACKAGES in scripts/lib/deps.sh)"

tmp=$(mktemp -d)
[ -n "${KEEP_TMP:-}" ] && echo "keeping $tmp" || trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "FAIL: $*"; exit 1; }
run() {  # run LOG COMMAND...: quiet unless it fails
  local log=$1; shift
  "$@" > "$log" 2>&1 || { tail -20 "$log"; fail "$*"; }
}
data="$tmp/data"
start=$(date +%s)

run trace.log "$uniad" trace-autograd --out "$data/notebooks/autograd_trace.h5"

run prepare.log "$uniad" prepare textures --source "$src/HR_Canvas 01.png" --source "$src/HR_Cork.png" \
  --source "$src/HR_DecoPaper.png" --out tex --crop 96 --train 12 --test-good 4 --test-defect 7
cat > features.json <<JSON
{"data": {"kind": "mvtec", "root": "tex", "input_size": 96, "eval_size": 96},
 "backbone": {"name": "mobilenet_v2", "weights": "$weights", "resample": "area"},
 "features": {"batch_size": 8}}
JSON
run features.log "$uniad" features --config features.json --out "$tmp/cache.h5"
# Two of the three classes: the third gives the lab its ood_classes set.
cat > run.json <<JSON
{"model": {"feature_channels": 168, "grid_h": 6, "grid_w": 6, "hidden_dim": 16, "heads": 2,
           "encoder_layers": 1, "decoder_layers": 2, "ffn_dim": 32, "mask_window": 3, "dropout": 0.0},
 "train": {"epochs": 3, "max_minutes": 0, "batch_size": 4, "lr": 1e-3, "schedule": "cosine", "warmup_epochs": 1,
           "val_fraction": 0.2, "shortcut_every": 1},
 "data": {"features": "$tmp/cache.h5", "features_config": "features.json", "standardize": true,
          "classes": "hr_canvas_01,hr_cork"},
 "eval": {"pool": 8, "heatmaps_per_class": 1}}
JSON
suite="$data/ablate/textures"
train() {  # train SUITE VARIANT --set ...: the run folder `uniad ablate` would write
  local suite_name=$1 variant=$2; shift 2
  run "train_${suite_name}_$variant.log" "$uniad" train --config run.json \
    --out "$suite/$suite_name/runs/textures/$variant/seed0" "$@"
}
for net in mlp cnn transformer query_first uniad; do
  train network $net --set model.network=$net
done
no_mask=(--set model.mask_encoder=false --set model.mask_decoder1=false --set model.mask_decoder2=false)
train jitter off --set model.jitter_scale=0
train mask none "${no_mask[@]}"
for f in "$suite"/*/runs/textures/*/seed0/log.jsonl; do grep -q '"shortcut"' "$f" || fail "no shortcut line in $f"; done

uniad_run="$suite/network/runs/textures/uniad/seed0"
run inspect1.log "$uniad" inspect --checkpoint "$uniad_run/best.h5" --class hr_cork --count 2 --out "$data/textures/inspect"
run inspect2.log "$uniad" inspect --checkpoint "$uniad_run/best.h5" --class hr_cork --count 2 "${no_mask[@]}" \
  --out "$data/textures/inspect_mask_off"
run inspect3.log "$uniad" inspect --checkpoint "$suite/mask/runs/textures/none/seed0/best.h5" --class hr_cork --count 2
grep -q "masked" inspect1.log || fail "the mask-on inspection shows no masked attention"
! grep -q "masked" inspect2.log || fail "--set model.mask_*=false left an attention masked"
echo "outputs made in $(( $(date +%s) - start )) s"

# The inline backend: non-interactive (no display needed) and, unlike plain Agg, it renders every
# figure into the executed notebook, so a plotting error fails the test too.
export UNIAD_NOTEBOOK_DATA="$data" MPLBACKEND=module://matplotlib_inline.backend_inline PYDEVD_DISABLE_FILE_VALIDATION=1
for nb in "$root"/notebooks/*.ipynb; do
  t0=$(date +%s)
  jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=120 --output-dir "$tmp/executed" \
    "$nb" > nbconvert.log 2>&1 || { tail -40 nbconvert.log; fail "$(basename "$nb") raised"; }
  grep -q '"output_type": "error"' "$tmp/executed/$(basename "$nb")" && fail "$(basename "$nb") holds an error output"
  figures=$(grep -c '"image/png"' "$tmp/executed/$(basename "$nb")" || true)
  [ "$figures" -gt 0 ] || fail "$(basename "$nb") drew no figure"
  echo "ok: $(basename "$nb") ran in $(( $(date +%s) - t0 )) s, $figures figure(s)"
done
echo "notebooks smoke test passed in $(( $(date +%s) - start )) s"

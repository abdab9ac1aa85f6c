#!/usr/bin/env bash
# The main job's commands end to end on a tiny benchmark (2 classes, 64 px): prepare, features,
# train, eval, predict, report, plus the errors a user meets first. Checks that every promised
# file appears and that bad input fails with a message naming the key; quality is not measured
# here (the demo does that).   tests/main_job_smoke.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
uniad="$build/uniad"
weights="$root/weights/mobilenet_v2.h5"
if [ ! -f "$weights" ]; then
  echo "skipped: $weights is missing (scripts/fetch_mobilenet_v2.sh makes it)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "FAIL: $*"; exit 1; }
expect_error() {  # expect_error TEXT COMMAND...: the command must exit 1 and print TEXT
  local text=$1; shift
  if "$@" > out.txt 2>&1; then fail "$* succeeded"; fi
  grep -q -- "$text" out.txt || { cat out.txt; fail "no '$text' in the error of: $*"; }
  echo "ok: error names '$text'"
}

src=/usr/share/mypaint/backgrounds/ramon
"$uniad" prepare textures --source "$src/HR_Canvas 01.png" --source "$src/HR_Cork.png" --out tex --crop 64 \
  --train 12 --test-good 4 --test-defect 7 > prepare.log
cat > features.json <<JSON
{"data": {"kind": "mvtec", "root": "tex", "input_size": 64, "eval_size": 64},
 "backbone": {"name": "mobilenet_v2", "weights": "$weights", "resample": "area"},
 "features": {"batch_size": 8}}
JSON
cat > run.json <<JSON
{"model": {"feature_channels": 168, "grid_h": 4, "grid_w": 4, "hidden_dim": 16, "heads": 2,
           "encoder_layers": 1, "decoder_layers": 1, "ffn_dim": 32, "mask_window": 3},
 "train": {"epochs": 3, "batch_size": 4, "lr": 1e-3, "schedule": "cosine", "warmup_epochs": 1,
           "val_fraction": 0.2, "track_test_every": 1},
 "data": {"features": "cache.h5", "features_config": "features.json", "standardize": true},
 "eval": {"pool": 8, "heatmaps_per_class": 2}}
JSON
# train builds the missing cache first; a tiny time budget fits the cosine schedule to the
# fewest epochs it allows (warm-up + 1 = 2)
"$uniad" train --config run.json --out run --minutes 0.00001 > train.log 2>&1 || { cat train.log; fail "train"; }
for f in cache.h5 run/config.json run/log.jsonl run/best.h5 run/last.h5; do [ -f "$f" ] || fail "missing $f"; done
grep -q '"budget"' run/log.jsonl || fail "no budget line in run/log.jsonl"
grep -q '"epochs": 2,' run/config.json || fail "the fitted epoch count is not in run/config.json"
expect_error "already holds a run" "$uniad" train --config run.json --out run
"$uniad" train --resume run/last.h5 --set train.epochs=3 --set train.max_minutes=0 > resume.log 2>&1 ||
  { cat resume.log; fail "resume"; }
grep -q "trained uniad for 3 epochs" resume.log || { cat resume.log; fail "resume did not reach epoch 3"; }
[ "$(grep -c '"test"' run/log.jsonl)" = 3 ] || fail "expected 3 tracked test lines in run/log.jsonl"

"$uniad" eval --checkpoint run/best.h5 > eval.log 2>&1 || { cat eval.log; fail "eval"; }
for f in run/eval/metrics.json run/eval/metrics.md run/threshold.json; do [ -f "$f" ] || fail "missing $f"; done
grep -q '"nearest_neighbour"' run/eval/metrics.json || fail "no baseline in metrics.json"
grep -q '"per_defect"' run/eval/metrics.json || fail "no per-defect metrics"
[ "$(ls run/eval/heatmaps/*.png | wc -l)" = 4 ] || fail "expected 2 heat maps per class"

img=$(ls tex/*/test/hole/*.png | head -n 1)
img2=$(ls tex/*/test/good/000.png | head -n 1)  # the same file name as $img, another folder
"$uniad" predict --checkpoint run/best.h5 --out pred "$img" "$img2" > predict.log 2>&1 || { cat predict.log; fail "predict"; }
[ "$(grep -Ec " (ANOMALOUS|normal)$" predict.log)" = 2 ] || fail "predict printed no decision for each image"
[ -f pred/predictions.json ] && [ "$(ls pred/*_heatmap.png | wc -l)" = 2 ] || fail "predict wrote no picture per image"

"$uniad" report run > report.log 2>&1 || { cat report.log; fail "report"; }
for f in run/report/report.html run/report/report.md run/report/loss.png run/report/per_class_image.png; do
  [ -f "$f" ] || fail "missing $f"; done
grep -q "^uniad" report.log || fail "report printed no headline"

# uniad ablate on the same cache: the unified suite (one model, then one per class) with the
# tiny model; configs/ are relative to the repository. A second run finds both cells done.
tiny=(--set "data.features=$tmp/cache.h5" --set model.grid_h=4 --set model.grid_w=4 --set model.mask_window=3
      --set model.hidden_dim=16 --set model.heads=2 --set model.ffn_dim=32 --set train.epochs=2 --set train.batch_size=4)
(cd "$root" && "$uniad" ablate --suite unified --out "$tmp/abl" "${tiny[@]}") > ablate.log 2>&1 || { cat ablate.log; fail "ablate"; }
for f in abl/table.md abl/table.csv abl/results.csv abl/runs/textures/unified/seed0/result.json abl/runs/textures/unified/seed1/last.h5; do
  [ -f "$f" ] || fail "missing $f"; done
[ "$(ls -d abl/runs/textures/per_class/seed0/*/ | wc -l)" = 2 ] || fail "expected one model folder per class"
grep -q "| \*\*unified\*\* |" abl/table.md || { cat abl/table.md; fail "no baseline row in table.md"; }
[ "$(wc -l < abl/results.csv)" = 5 ] || fail "expected 4 cells in results.csv"
(cd "$root" && "$uniad" ablate --suite unified --out "$tmp/abl" "${tiny[@]}") > ablate2.log 2>&1 || { cat ablate2.log; fail "ablate again"; }
grep -q "epoch [0-9]*/" ablate2.log && { cat ablate2.log; fail "the second ablate run trained again"; }
expect_error "no 'window7'" "$uniad" ablate --suite mask --variants window7 --dry-run

# The errors a user meets first.
expect_error "model.feature_channels" "$uniad" train --config run.json --out run2 --set model.feature_channels=272
expect_error "unknown key 'train.learning_rate'" "$uniad" train --config run.json --out run3 --set train.learning_rate=1
expect_error "threshold.json does not exist" "$uniad" predict --checkpoint run/last.h5 --out p2 --threshold-file nope/threshold.json "$img"
echo "main job smoke test passed"

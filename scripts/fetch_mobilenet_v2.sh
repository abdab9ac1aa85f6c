#!/usr/bin/env bash
# Makes the MobileNetV2 ImageNet weights and the test photos, from registry packages only:
#   weights/mobilenet_v2.h5   nsfwjs@4.3.0's Keras MobileNetV2 (npm), converted by
#                             tools/nsfwjs_to_json.js and `uniad prepare mobilenet-v2`
#   weights/photos/*.png      four photos shipped by Debian's python3-skimage, unpacked from the
#                             .deb (apt-get download + dpkg-deb -x), not installed
# Downloads are kept in weights/.cache. Idempotent: every step whose output exists is skipped.
#
#   scripts/fetch_mobilenet_v2.sh [WEIGHTS_DIR (default: weights)]
# Needs npm, node, apt-get, dpkg-deb and a built build/uniad (UNIAD=path overrides it).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-weights}
uniad=${UNIAD:-build/uniad}
cache="$dir/.cache"
mkdir -p "$cache" "$dir/photos"

# 1. The npm package, packed (no install, no dependencies), then untarred.
if [ ! -f "$cache/nsfwjs/package/package.json" ]; then
  (cd "$cache" && npm pack --silent nsfwjs@4.3.0 >/dev/null)
  mkdir -p "$cache/nsfwjs"
  tar -xzf "$cache/nsfwjs-4.3.0.tgz" -C "$cache/nsfwjs"
fi

# 2. CommonJS modules -> model.json + weights.bin.
if [ ! -f "$cache/tfjs/model.json" ] || [ ! -f "$cache/tfjs/weights.bin" ]; then
  node tools/nsfwjs_to_json.js "$cache/nsfwjs/package" "$cache/tfjs"
fi

# 3. Dequantize and transpose into the project's HDF5 format.
if [ ! -f "$dir/mobilenet_v2.h5" ]; then
  [ -x "$uniad" ] || { echo "fetch_mobilenet_v2: $uniad not found; build it first (ninja -C build uniad)" >&2; exit 1; }
  "$uniad" prepare mobilenet-v2 --model-json "$cache/tfjs/model.json" --weights-bin "$cache/tfjs/weights.bin" \
    --out "$dir/mobilenet_v2.h5"
else
  echo "exists: $dir/mobilenet_v2.h5"
fi

# 4. Photos for the classification check, from the python3-skimage .deb.
photos=(astronaut.png chelsea.png coffee.png motorcycle_left.png)
missing=0
for p in "${photos[@]}"; do [ -f "$dir/photos/$p" ] || missing=1; done
if [ "$missing" = 1 ]; then
  if ! ls "$cache"/python3-skimage_*.deb >/dev/null 2>&1; then
    # apt-get download writes into the current folder; as root it warns that _apt cannot write there.
    (cd "$cache" && apt-get download python3-skimage 2>&1 | grep -v "unsandboxed" || true)
  fi
  deb=$(ls "$cache"/python3-skimage_*.deb | head -n 1)
  rm -rf "$cache/skimage" && mkdir -p "$cache/skimage"
  dpkg-deb -x "$deb" "$cache/skimage"
  for p in "${photos[@]}"; do cp "$cache/skimage/usr/lib/python3/dist-packages/skimage/data/$p" "$dir/photos/$p"; done
  echo "wrote ${#photos[@]} photos to $dir/photos (from $(basename "$deb"))"
else
  echo "exists: $dir/photos (${photos[*]})"
fi

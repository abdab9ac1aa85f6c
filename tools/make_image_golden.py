#!/usr/bin/python3
"""Golden fixtures for data/image and data/resize: small images in every format we decode, and
what PIL makes of them.

Run with Debian's python3-pil (the `python3` on PATH is another interpreter):

    /usr/bin/python3 tools/make_image_golden.py

Writes tests/fixtures/images/*.{png,jpg,bmp} and tests/fixtures/golden_resize.h5. Everything is
drawn from a seeded generator, so the files are reproducible. Pixels are stored as int64 (the
dtypes our HDF5 reader accepts are float32, float64 and int64), gzip-compressed, in PIL's
numpy layout: [H, W] for one channel, [H, W, C] otherwise. Layout:

    /decode/<file>/native   (not for palette images) np.array(Image.open(file)): the samples as stored (16-bit kept;
                            for the 16-bit RGB file, which PIL opens as 8-bit, the samples written)
    /decode/<file>/rgb      Image.open(file).convert("RGB") (only where /native is not that already)
    /decode/<file>/grey     Image.open(file).convert("L") (not for grey or palette files)
    /bilinear/<case>        src.convert("RGB" or "L").resize((W, H), Image.BILINEAR)
    /nearest/<case>         src.convert("L").resize((W, H), Image.NEAREST)
rgb_500x375.png is left out of /decode (it is checked through its resizes). Each resize case has attributes `source` (a file in images/), `width` and `height`.
"""
import os
import struct
import zlib

import h5py
import numpy as np
import PIL
from PIL import Image

SEED = 20241128
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "tests", "fixtures")
IMAGES = os.path.join(FIXTURES, "images")


def smooth_rgb(rng, h, w):
    """Gradients and sinusoids (PNG compresses them well) with sharp-edged rectangles and one
    noisy patch, so that resizing sees both smooth areas and steps."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.stack([
        127 + 120 * np.sin(x / 17.0 + y / 29.0),
        255 * x / max(w - 1, 1),
        127 + 120 * np.cos(np.hypot(x - w / 3, y - h / 2) / 13.0),
    ], axis=-1)
    for _ in range(4):
        y0, x0 = rng.integers(0, h - 2), rng.integers(0, w - 2)
        img[y0:y0 + rng.integers(2, h // 3 + 3), x0:x0 + rng.integers(2, w // 3 + 3)] = rng.integers(0, 256, 3)
    ph, pw = min(16, h // 3), min(16, w // 3)
    img[:ph, -pw:] = rng.integers(0, 256, (ph, pw, 3))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def write_png16_rgb(path, pixels):
    """A 16-bit RGB PNG written by hand: PIL cannot save one."""
    h, w, _ = pixels.shape
    raw = b"".join(b"\x00" + pixels[r].astype(">u2").tobytes() for r in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


def make_images(rng):
    """Writes the test images; returns {file name: PIL image as reopened from disk} and
    {file name: samples as stored} for files whose stored samples PIL does not show."""
    os.makedirs(IMAGES, exist_ok=True)
    rgb = smooth_rgb(rng, 61, 97)
    files = {}

    def save(name, img, **kw):
        img.save(os.path.join(IMAGES, name), **kw)
        files[name] = None

    save("rgb_97x61.png", Image.fromarray(rgb))
    save("rgb_500x375.png", Image.fromarray(smooth_rgb(rng, 375, 500)))
    save("grey_120x90.png", Image.fromarray(smooth_rgb(rng, 90, 120)).convert("L"))
    la = np.stack([smooth_rgb(rng, 20, 30)[..., 0], rng.integers(0, 256, (20, 30), dtype=np.uint8)], -1)
    save("grey_alpha_30x20.png", Image.fromarray(la, "LA"))
    rgba = np.concatenate([smooth_rgb(rng, 64, 64), rng.integers(0, 256, (64, 64, 1), dtype=np.uint8)], -1)
    save("rgba_64x64.png", Image.fromarray(rgba, "RGBA"))
    # Palette image with a transparent entry (tRNS chunk), so stb expands it to RGBA.
    pal = Image.fromarray(smooth_rgb(rng, 300, 300)).quantize(colors=37, method=Image.Quantize.MEDIANCUT)
    save("palette_300x300.png", pal, transparency=3)
    grey16 = (np.arange(25 * 17).reshape(17, 25) * 157 % 65536).astype(np.uint16)
    grey16[0, :4] = [0, 1, 255, 256]  # PIL clips 16-bit grey to 8 bits: check both sides of 255
    save("grey16_25x17.png", Image.fromarray(grey16, "I;16"))
    rgb16 = rng.integers(0, 65536, (13, 21, 3))
    write_png16_rgb(os.path.join(IMAGES, "rgb16_21x13.png"), rgb16)
    files["rgb16_21x13.png"] = None
    save("rgb_128x96.jpg", Image.fromarray(smooth_rgb(rng, 96, 128)), quality=95, subsampling=0)
    save("rgb_40x30.bmp", Image.fromarray(smooth_rgb(rng, 30, 40)))
    # Masks: a label image with many distinct values, so any index slip in NEAREST shows.
    save("labels_97x61.png", Image.fromarray(rng.integers(0, 256, (61, 97), dtype=np.uint8)))
    mask = np.zeros((200, 300), np.uint8)
    mask[40:90, 100:230] = 255
    mask[150:153, 20:280] = 1  # a faint defect: any value > 0 counts
    save("mask_300x200.png", Image.fromarray(mask))
    # PIL opens a 16-bit RGB PNG as 8-bit RGB (high bytes), so its samples as stored come from here.
    return {name: Image.open(os.path.join(IMAGES, name)) for name in files}, {"rgb16_21x13.png": rgb16}


def put(h5, path, array):
    h5.create_dataset(path, data=np.asarray(array).astype(np.int64), compression="gzip", compression_opts=9,
                      shuffle=True)


BILINEAR_CASES = [  # (case, source, mode, width, height)
    ("rgb_97x61_to_224", "rgb_97x61.png", "RGB", 224, 224),
    ("rgb_500x375_to_224", "rgb_500x375.png", "RGB", 224, 224),
    ("palette_300x300_to_224", "palette_300x300.png", "RGB", 224, 224),
    ("rgba_64x64_to_100x80", "rgba_64x64.png", "RGB", 100, 80),
    ("rgb_500x375_to_33x150", "rgb_500x375.png", "RGB", 33, 150),  # down in x, down less in y
    ("rgba_64x64_to_20x90", "rgba_64x64.png", "RGB", 20, 90),      # down in x, up in y
    ("rgb_97x61_to_97x30", "rgb_97x61.png", "RGB", 97, 30),        # one pass only
    ("grey_120x90_to_56x42", "grey_120x90.png", "L", 56, 42),
]
NEAREST_CASES = [
    ("labels_97x61_to_224", "labels_97x61.png", 224, 224),
    ("labels_97x61_to_13x29", "labels_97x61.png", 13, 29),
    ("mask_300x200_to_224", "mask_300x200.png", 224, 224),
]


def main():
    rng = np.random.default_rng(SEED)
    images, stored = make_images(rng)
    path = os.path.join(FIXTURES, "golden_resize.h5")
    with h5py.File(path, "w", libver="latest") as h5:
        h5.attrs["generator"] = "tools/make_image_golden.py"
        h5.attrs["pil_version"] = PIL.__version__
        for name, img in images.items():
            if name == "rgb_500x375.png":
                continue  # checked through its resizes; keeps the file small
            if img.mode != "P":  # palette indices: stb hands back the expanded colours instead
                put(h5, f"/decode/{name}/native", stored.get(name, np.array(img)))
            if img.mode != "RGB" or name in stored:  # elsewhere /native is the RGB conversion already
                put(h5, f"/decode/{name}/rgb", np.array(img.convert("RGB")))
            if img.mode not in ("L", "P"):  # for grey files /native is the grey conversion already
                put(h5, f"/decode/{name}/grey", np.array(img.convert("L")))
        for case, source, mode, w, h in BILINEAR_CASES:
            put(h5, f"/bilinear/{case}", np.array(images[source].convert(mode).resize((w, h), Image.BILINEAR)))
            h5[f"/bilinear/{case}"].attrs.update(source=source, width=w, height=h)
        for case, source, w, h in NEAREST_CASES:
            put(h5, f"/nearest/{case}", np.array(images[source].convert("L").resize((w, h), Image.NEAREST)))
            h5[f"/nearest/{case}"].attrs.update(source=source, width=w, height=h)
    for name, img in images.items():
        print(f"{name:24s} mode {img.mode:5s} {img.size}")
    total = sum(os.path.getsize(os.path.join(IMAGES, n)) for n in images) + os.path.getsize(path)
    print(f"wrote {path} and {len(images)} images, {total / 1024:.0f} KiB in all")


if __name__ == "__main__":
    main()

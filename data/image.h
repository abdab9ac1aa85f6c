#pragma once
// Decoded images: what a file holds, before it becomes a Tensor.
//
// An Image is H x W x C samples, row-major and interleaved (sample (y, x, c) lives at
// (y * W + x) * C + c), with C = 1 grey, 2 grey+alpha, 3 RGB or 4 RGBA, and 8 or 16 bits per
// sample. Decoding keeps what the file stores (16-bit PNGs stay 16-bit, alpha stays); the
// conversions below then produce the 8-bit RGB or grey image the pipeline works on, the way
// PIL's Image.convert does, because the reference implementation reads its images with PIL.
//
// Decoding goes through stb_image (PNG, JPEG, BMP, and whatever else stb reads). A palette PNG
// arrives expanded to RGB, or RGBA when it has a transparent entry, as stb delivers it. JPEG
// pixels can differ from PIL's (libjpeg) by a few levels: the two decoders use different IDCTs.
//
// Every failure throws uniad::Error naming the file and stb's reason, e.g.
//   "decode_image: train/003.png: bad zlib header", "decode_image: a.png: cannot open (No such
// file or directory)". stb's reasons are terse tags (outofdata, bad codelengths, ...).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace uniad::data {

struct Image {
  int height = 0;
  int width = 0;
  int channels = 0;     // 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
  int bit_depth = 8;    // 8: samples in u8; 16: samples in u16
  std::vector<uint8_t> u8;    // H * W * C samples when bit_depth == 8, else empty
  std::vector<uint16_t> u16;  // H * W * C samples when bit_depth == 16, else empty

  // An 8-bit image of the given size, filled with `value`.
  static Image zeros8(int height, int width, int channels, uint8_t value = 0);

  size_t num_samples() const { return size_t(height) * width * channels; }
  // The 8-bit sample at (y, x, c); bit_depth must be 8. For tests and small tools.
  uint8_t at(int y, int x, int c = 0) const { return u8[(size_t(y) * width + x) * channels + c]; }
  uint8_t& at(int y, int x, int c = 0) { return u8[(size_t(y) * width + x) * channels + c]; }
};

// Decodes a whole file. `what` in errors is the path.
Image decode_image(const std::string& path);
// Decodes bytes in memory; `name` identifies them in errors (e.g. "archive.zip:img/003.png").
Image decode_image_memory(const uint8_t* bytes, size_t size, const std::string& name);

// 8-bit RGB as PIL's convert("RGB"): grey is copied to all three channels, alpha is dropped
// (not composited onto a background). 16-bit samples become 8-bit as PIL does: RGB(A) keeps
// the high byte (PIL's PNG reader), grey is clipped to 255 (PIL's "I" -> "RGB").
Image to_rgb8(const Image& image);
// 8-bit grey as PIL's convert("L"): L = (19595 R + 38470 G + 7471 B + 2^15) >> 16 (ITU-R 601
// luma in 16-bit fixed point), alpha dropped, 16-bit grey clipped to 255. The clipping matters
// for masks: a 16-bit mask value of 1 must stay non-zero.
Image to_grey8(const Image& image);

// Writes an 8-bit image (1 to 4 channels) as PNG. The bytes go to a temporary file beside
// `path` that is renamed over it only when complete, so a failure never leaves half a file.
void write_png(const std::string& path, const Image& image);
// PNG bytes of an 8-bit image, in memory.
std::vector<uint8_t> encode_png(const Image& image);

}  // namespace uniad::data

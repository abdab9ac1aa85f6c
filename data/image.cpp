// Image decoding (stb_image), PIL-compatible conversions to RGB and grey, PNG encoding.
// See data/image.h for the layout and the conventions.
#include "data/image.h"

#include <stb_image.h>
#include <stb_image_write.h>

#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "tensor/error.h"

namespace uniad::data {

Image Image::zeros8(int height, int width, int channels, uint8_t value) {
  UNIAD_CHECK(height >= 0 && width >= 0 && channels >= 1 && channels <= 4, "Image::zeros8: bad size ", height,
              " x ", width, " x ", channels);
  Image im;
  im.height = height;
  im.width = width;
  im.channels = channels;
  im.u8.assign(im.num_samples(), value);
  return im;
}

Image decode_image_memory(const uint8_t* bytes, size_t size, const std::string& name) {
  UNIAD_CHECK(size > 0, "decode_image: ", name, ": empty file");
  UNIAD_CHECK(size <= size_t(INT_MAX), "decode_image: ", name, ": ", size, " bytes is more than stb_image reads");
  const int len = static_cast<int>(size);
  // stb decodes a truncated BMP without complaint (it reads zeros past the end); the file
  // header states the file's size (bytes 2..5, little-endian), so check it here. PNG and JPEG
  // truncation is caught by stb itself.
  if (size >= 6 && bytes[0] == 'B' && bytes[1] == 'M') {
    const uint32_t stated = uint32_t(bytes[2]) | uint32_t(bytes[3]) << 8 | uint32_t(bytes[4]) << 16 |
                            uint32_t(bytes[5]) << 24;
    UNIAD_CHECK(stated <= size, "decode_image: ", name, ": truncated BMP (header says ", stated, " bytes, have ",
                size, ")");
  }
  Image im;
  int channels_in_file = 0;
  // stb reports 16-bit samples only for PNG (and PNM); everything else decodes to 8 bits.
  im.bit_depth = stbi_is_16_bit_from_memory(bytes, len) ? 16 : 8;
  // desired_channels = 0 keeps the channels the file stores; conversions are ours (PIL's rules).
  void* pixels = im.bit_depth == 16
                     ? static_cast<void*>(stbi_load_16_from_memory(bytes, len, &im.width, &im.height, &channels_in_file, 0))
                     : static_cast<void*>(stbi_load_from_memory(bytes, len, &im.width, &im.height, &channels_in_file, 0));
  // stb's failure reason is a thread-local string in this stb version (STBI_THREAD_LOCAL).
  UNIAD_CHECK(pixels != nullptr, "decode_image: ", name, ": ", stbi_failure_reason());
  std::unique_ptr<void, void (*)(void*)> owner(pixels, stbi_image_free);
  im.channels = channels_in_file;
  if (im.bit_depth == 16) {
    const auto* p = static_cast<const uint16_t*>(pixels);
    im.u16.assign(p, p + im.num_samples());
  } else {
    const auto* p = static_cast<const uint8_t*>(pixels);
    im.u8.assign(p, p + im.num_samples());
  }
  return im;
}

Image decode_image(const std::string& path) {
  // Reading the bytes ourselves gives the OS's reason for a missing file, which stb does not.
  std::ifstream in(path, std::ios::binary);
  UNIAD_CHECK(in.good(), "decode_image: ", path, ": cannot open (", std::strerror(errno), ")");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  UNIAD_CHECK(!in.bad(), "decode_image: ", path, ": read error");
  return decode_image_memory(bytes.data(), bytes.size(), path);
}

namespace {

// PIL's 16 -> 8 bit rules (see to_rgb8 in image.h): colour keeps the high byte, grey clips.
uint8_t colour16_to_8(uint16_t v) { return static_cast<uint8_t>(v >> 8); }
uint8_t grey16_to_8(uint16_t v) { return static_cast<uint8_t>(v > 255 ? 255 : v); }

// Sample (pixel, c) of `im` as 8 bits, following PIL's rule for the image's kind.
uint8_t sample8(const Image& im, size_t pixel, int c) {
  const size_t i = pixel * im.channels + c;
  if (im.bit_depth == 8) return im.u8[i];
  return im.channels <= 2 ? grey16_to_8(im.u16[i]) : colour16_to_8(im.u16[i]);
}

void check_decoded(const Image& im, const char* op) {
  UNIAD_CHECK(im.channels >= 1 && im.channels <= 4, op, ": unsupported channel count ", im.channels);
  UNIAD_CHECK(im.bit_depth == 8 || im.bit_depth == 16, op, ": unsupported bit depth ", im.bit_depth);
  UNIAD_CHECK((im.bit_depth == 8 ? im.u8.size() : im.u16.size()) == im.num_samples(), op,
              ": sample buffer does not match ", im.height, " x ", im.width, " x ", im.channels);
}

}  // namespace

Image to_rgb8(const Image& image) {
  check_decoded(image, "to_rgb8");
  Image out = Image::zeros8(image.height, image.width, 3);
  const size_t n = size_t(image.height) * image.width;
  for (size_t p = 0; p < n; ++p) {
    for (int c = 0; c < 3; ++c) {
      // Grey (+alpha): channel 0 everywhere. RGB(A): channels 0..2; alpha (3) is dropped.
      out.u8[p * 3 + c] = sample8(image, p, image.channels <= 2 ? 0 : c);
    }
  }
  return out;
}

Image to_grey8(const Image& image) {
  check_decoded(image, "to_grey8");
  Image out = Image::zeros8(image.height, image.width, 1);
  const size_t n = size_t(image.height) * image.width;
  for (size_t p = 0; p < n; ++p) {
    if (image.channels <= 2) {
      out.u8[p] = sample8(image, p, 0);
    } else {
      const uint32_t r = sample8(image, p, 0), g = sample8(image, p, 1), b = sample8(image, p, 2);
      out.u8[p] = static_cast<uint8_t>((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
    }
  }
  return out;
}

namespace {
void append_bytes(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<uint8_t>*>(context);
  const auto* p = static_cast<const uint8_t*>(data);
  out->insert(out->end(), p, p + size);
}
}  // namespace

std::vector<uint8_t> encode_png(const Image& image) {
  check_decoded(image, "encode_png");
  UNIAD_CHECK(image.bit_depth == 8, "encode_png: only 8-bit images (stb_image_write), got ", image.bit_depth, " bits");
  UNIAD_CHECK(image.height > 0 && image.width > 0, "encode_png: empty image ", image.height, " x ", image.width);
  std::vector<uint8_t> bytes;
  const int ok = stbi_write_png_to_func(append_bytes, &bytes, image.width, image.height, image.channels,
                                        image.u8.data(), image.width * image.channels);
  UNIAD_CHECK(ok != 0 && !bytes.empty(), "encode_png: stb_image_write failed for a ", image.height, " x ",
              image.width, " x ", image.channels, " image");
  return bytes;
}

void write_png(const std::string& path, const Image& image) {
  const std::vector<uint8_t> bytes = encode_png(image);
  // Same directory as the target, so that the rename is atomic (no cross-device move).
  const std::string temp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    UNIAD_CHECK(out.good(), "write_png: ", path, ": cannot create ", temp, " (", std::strerror(errno), ")");
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temp, ignored);
      UNIAD_CHECK(false, "write_png: ", path, ": writing ", temp, " failed");
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    UNIAD_CHECK(false, "write_png: ", path, ": rename from ", temp, " failed (", ec.message(), ")");
  }
}

}  // namespace uniad::data

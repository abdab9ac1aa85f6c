// data/image and data/resize against PIL (tests/fixtures/golden_resize.h5 and
// tests/fixtures/images/, both made by tools/make_image_golden.py), plus hand-checked cases.
#include <fstream>
#include <iterator>

#include "data/image.h"
#include "data/resize.h"
#include "tensor/hdf5_io.h"
#include "tests/test_util.h"

using namespace uniad;
using namespace uniad::data;

namespace {

const std::string kImages = std::string(UNIAD_FIXTURE_DIR) + "/images/";

h5::File golden() { return h5::File::open_read(std::string(UNIAD_FIXTURE_DIR) + "/golden_resize.h5"); }

// The samples of `im` as a float64 tensor in PIL's numpy layout: [H, W] for one channel,
// [H, W, C] otherwise.
Tensor as_tensor(const Image& im) {
  std::vector<double> v(im.num_samples());
  for (size_t i = 0; i < v.size(); ++i) v[i] = im.bit_depth == 8 ? im.u8[i] : im.u16[i];
  const Shape shape = im.channels == 1 ? Shape{im.height, im.width} : Shape{im.height, im.width, im.channels};
  return Tensor::from_vector(v, shape, DType::Float64);
}

Tensor read_golden(const h5::File& f, const std::string& path) { return f.read(path, DType::Int64).to(DType::Float64); }

// Compares pixels with PIL's, printing the largest difference in grey levels and the share of
// samples that differ at all.
void check_pixels(const std::string& what, const Image& ours, const Tensor& pil, double max_levels) {
  const Tensor t = as_tensor(ours);
  test::check_close(what, t, pil, max_levels);
  if (t.shape() != pil.shape()) return;
  const auto a = t.to_vector(), b = pil.to_vector();
  size_t differ = 0;
  for (size_t i = 0; i < a.size(); ++i) differ += a[i] != b[i];
  std::printf("[compare] %-48s %zu of %zu samples differ (%.3f%%)\n", what.c_str(), differ, a.size(),
              100.0 * double(differ) / double(a.size()));
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// A 2 x 3 RGB image whose pixel (y, x) is (10y + x, 100 + 10y + x, 200 + 10y + x).
Image small_rgb() {
  Image im = Image::zeros8(2, 3, 3);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x)
      for (int c = 0; c < 3; ++c) im.at(y, x, c) = uint8_t(100 * c + 10 * y + x);
  return im;
}

}  // namespace

TEST_CASE("image: decode PNG, BMP and JPEG as PIL does (native samples, RGB, grey)") {
  const h5::File f = golden();
  struct Case {
    std::string file;
    int channels, bit_depth;
    double max_levels;  // 0 where decoding is lossless
  };
  const std::vector<Case> cases = {
      {"rgb_97x61.png", 3, 8, 0},       {"grey_120x90.png", 1, 8, 0}, {"grey_alpha_30x20.png", 2, 8, 0},
      {"rgba_64x64.png", 4, 8, 0},      {"palette_300x300.png", 4, 8, 0}, {"grey16_25x17.png", 1, 16, 0},
      {"rgb16_21x13.png", 3, 16, 0},    {"labels_97x61.png", 1, 8, 0}, {"rgb_40x30.bmp", 3, 8, 0},
      {"rgb_128x96.jpg", 3, 8, 4},      {"mask_300x200.png", 1, 8, 0},
  };
  for (const Case& c : cases) {
    CAPTURE(c.file);
    const Image im = decode_image(kImages + c.file);
    CHECK(im.channels == c.channels);
    CHECK(im.bit_depth == c.bit_depth);
    const std::string g = "/decode/" + c.file;
    if (f.exists(g + "/native")) check_pixels(c.file + " native", im, read_golden(f, g + "/native"), c.max_levels);
    const std::string rgb = f.exists(g + "/rgb") ? g + "/rgb" : g + "/native";
    check_pixels(c.file + " -> RGB", to_rgb8(im), read_golden(f, rgb), c.max_levels);
    const std::string grey = f.exists(g + "/grey") ? g + "/grey" : g + "/native";
    if (c.file.find("palette") == std::string::npos || f.exists(g + "/grey"))
      check_pixels(c.file + " -> grey", to_grey8(im), read_golden(f, grey), c.max_levels);
  }
}

TEST_CASE("image: decoding from memory gives the same pixels as from the file") {
  const std::vector<uint8_t> bytes = read_bytes(kImages + "rgba_64x64.png");
  const Image a = decode_image_memory(bytes.data(), bytes.size(), "rgba in memory");
  const Image b = decode_image(kImages + "rgba_64x64.png");
  check_pixels("memory vs file", a, as_tensor(b), 0);
}

TEST_CASE("image: missing, empty, truncated and corrupt files raise errors naming the file") {
  const std::string missing = kImages + "no_such_file.png";
  std::string msg = test::error_of([&] { decode_image(missing); });
  CHECK(test::contains(msg, missing));
  CHECK(test::contains(msg, "No such file"));

  const test::TempPath empty("empty.png");
  write_bytes(empty.str(), {});
  msg = test::error_of([&] { decode_image(empty.str()); });
  CHECK(test::contains(msg, empty.str()));

  std::vector<uint8_t> png = read_bytes(kImages + "rgb_97x61.png");
  const test::TempPath truncated("truncated.png");
  write_bytes(truncated.str(), std::vector<uint8_t>(png.begin(), png.begin() + png.size() / 2));
  msg = test::error_of([&] { decode_image(truncated.str()); });
  CHECK(test::contains(msg, truncated.str()));

  // Truncated JPEG (stb catches it) and BMP (stb does not: decode_image checks the stated size).
  for (const std::string file : {"rgb_128x96.jpg", "rgb_40x30.bmp"}) {
    const std::vector<uint8_t> whole = read_bytes(kImages + file);
    msg = test::error_of([&] { decode_image_memory(whole.data(), whole.size() - 2, file); });
    CHECK(test::contains(msg, file));
  }

  // A flipped byte inside the compressed data: zlib's checks (or the PNG filter byte) catch it.
  std::vector<uint8_t> corrupt = png;
  for (size_t i = 60; i < 80; ++i) corrupt[i] ^= 0x5a;
  msg = test::error_of([&] { decode_image_memory(corrupt.data(), corrupt.size(), "corrupt.png"); });
  CHECK(test::contains(msg, "corrupt.png"));

  const std::vector<uint8_t> text = {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'};
  msg = test::error_of([&] { decode_image_memory(text.data(), text.size(), "notes.txt"); });
  CHECK(test::contains(msg, "notes.txt"));
  CHECK(test::contains(msg, "unknown image type"));
}

TEST_CASE("image: PNG encode/decode round trip, and failed writes leave nothing behind") {
  for (int channels = 1; channels <= 4; ++channels) {
    Image im = Image::zeros8(7, 5, channels);
    for (size_t i = 0; i < im.u8.size(); ++i) im.u8[i] = uint8_t(i * 37 + channels);
    const test::TempPath path("roundtrip_" + std::to_string(channels) + ".png");
    write_png(path.str(), im);
    const Image back = decode_image(path.str());
    CHECK(back.channels == channels);
    check_pixels("png round trip, " + std::to_string(channels) + " channels", back, as_tensor(im), 0);
  }
  const std::string dir = std::filesystem::temp_directory_path() / "uniad_no_such_dir";
  std::string msg = test::error_of([&] { write_png(dir + "/heat.png", Image::zeros8(2, 2, 1)); });
  CHECK(test::contains(msg, dir + "/heat.png"));
  CHECK(!std::filesystem::exists(dir));
  msg = test::error_of([&] { encode_png(Image::zeros8(0, 4, 3)); });
  CHECK(test::contains(msg, "empty image"));
}

TEST_CASE("resize: antialiased bilinear matches PIL's Image.BILINEAR, down and up") {
  const h5::File f = golden();
  for (const std::string& path : f.list_datasets("/bilinear")) {
    const std::string source = f.attr_string(path, "source");
    const int w = int(f.attr_int(path, "width")), h = int(f.attr_int(path, "height"));
    const Image decoded = decode_image(kImages + source);
    const Image src = path.find("grey") != std::string::npos ? to_grey8(decoded) : to_rgb8(decoded);
    check_pixels(path.substr(10) + " (" + source + ")", resize_bilinear(src, h, w), read_golden(f, path), 0);
  }
}

TEST_CASE("resize: nearest matches PIL's Image.NEAREST exactly") {
  const h5::File f = golden();
  for (const std::string& path : f.list_datasets("/nearest")) {
    const std::string source = f.attr_string(path, "source");
    const int w = int(f.attr_int(path, "width")), h = int(f.attr_int(path, "height"));
    const Image src = to_grey8(decode_image(kImages + source));
    check_pixels(path.substr(9), resize_nearest(src, h, w), read_golden(f, path), 0);
  }
}

TEST_CASE("resize: a constant image stays constant, and the same size is a copy") {
  const Image flat = Image::zeros8(37, 53, 3, 173);
  for (auto [h, w] : {std::pair{224, 224}, std::pair{5, 3}, std::pair{37, 100}}) {
    const Image out = resize_bilinear(flat, h, w);
    check_pixels("constant " + std::to_string(h) + "x" + std::to_string(w), out,
                 as_tensor(Image::zeros8(h, w, 3, 173)), 0);
  }
  const Image im = small_rgb();
  check_pixels("same size bilinear", resize_bilinear(im, 2, 3), as_tensor(im), 0);
  check_pixels("same size nearest", resize_nearest(im, 2, 3), as_tensor(im), 0);
  std::string msg = test::error_of([&] { resize_bilinear(im, 0, 3); });
  CHECK(test::contains(msg, "resize_bilinear"));
}

TEST_CASE("resize: ImageNet normalisation to [3, H, W] and masks to 0/1") {
  Image im = Image::zeros8(1, 2, 3);
  for (int c = 0; c < 3; ++c) {
    im.at(0, 0, c) = 0;
    im.at(0, 1, c) = 255;
  }
  // (0 - mean) / std and (1 - mean) / std per channel, channel-first.
  const Tensor expected = Tensor::from_vector({-0.485 / 0.229, 0.515 / 0.229, -0.456 / 0.224, 0.544 / 0.224,
                                               -0.406 / 0.225, 0.594 / 0.225},
                                              {3, 1, 2}, DType::Float64);
  test::check_close("imagenet normalisation", to_normalized_tensor(im).to(DType::Float64), expected, 1e-6);

  Image mask = Image::zeros8(1, 4, 1);
  mask.u8 = {0, 1, 128, 255};
  test::check_close("mask > 0", mask_to_tensor(mask), Tensor::from_vector({0, 1, 1, 1}, {1, 4}), 0);
}

TEST_CASE("resize: flips and rotations move pixels where PIL's transpose puts them") {
  const Image im = small_rgb();  // channel 0 reads 0 1 2 / 10 11 12
  auto ch0 = [](const Image& m) {
    Image g = Image::zeros8(m.height, m.width, 1);
    for (int y = 0; y < m.height; ++y)
      for (int x = 0; x < m.width; ++x) g.at(y, x) = m.at(y, x, 0);
    return as_tensor(g);
  };
  auto grid = [](std::vector<double> v, int64_t h, int64_t w) { return Tensor::from_vector(v, {h, w}, DType::Float64); };
  test::check_close("flip horizontal", ch0(flip_horizontal(im)), grid({2, 1, 0, 12, 11, 10}, 2, 3), 0);
  test::check_close("flip vertical", ch0(flip_vertical(im)), grid({10, 11, 12, 0, 1, 2}, 2, 3), 0);
  // Counter-clockwise: the top row (0 1 2) becomes the left column, read bottom-up.
  test::check_close("rotate 90", ch0(rotate90(im)), grid({2, 12, 1, 11, 0, 10}, 3, 2), 0);
  test::check_close("rotate 180", ch0(rotate180(im)), grid({12, 11, 10, 2, 1, 0}, 2, 3), 0);
  test::check_close("rotate 270", ch0(rotate270(im)), grid({10, 0, 11, 1, 12, 2}, 3, 2), 0);
  // The other channels travel with their pixel.
  CHECK(rotate90(im).at(0, 0, 2) == 202);
  check_pixels("rotate 90 four times", rotate90(rotate90(rotate90(rotate90(im)))), as_tensor(im), 0);
}

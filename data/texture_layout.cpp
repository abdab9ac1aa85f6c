// Source listing, class names, train/test bands and crops; see data/texture_layout.h.
#include "data/texture_layout.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "data/resize.h"
#include "tensor/error.h"

namespace uniad::data {
namespace fs = std::filesystem;

namespace {
bool is_image_path(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}
}  // namespace

std::string texture_class_name(const std::string& path) {
  std::string out;
  for (unsigned char c : fs::path(path).stem().string()) {
    if (std::isalnum(c) && c < 128) {
      out += char(std::tolower(c));
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  UNIAD_CHECK(!out.empty(), "textures: ", path, ": the file name has no letters or digits to name a class");
  return out;
}

std::vector<TextureSource> list_texture_sources(const std::vector<std::string>& sources) {
  UNIAD_CHECK(!sources.empty(), "textures: no source folder given");
  std::vector<TextureSource> out;
  for (const std::string& src : sources) {
    std::error_code ec;
    if (fs::is_regular_file(src, ec)) {
      UNIAD_CHECK(is_image_path(src), "textures: source ", src, " is not a .png, .jpg, .jpeg or .bmp file");
      out.push_back({src, texture_class_name(src)});
      continue;
    }
    UNIAD_CHECK(fs::is_directory(src, ec), "textures: source ", src, " does not exist (or is not a folder)");
    size_t found = 0;
    for (const fs::directory_entry& e : fs::directory_iterator(src)) {
      if (!e.is_regular_file() || !is_image_path(e.path()) || e.path().filename().string().starts_with(".")) continue;
      out.push_back({e.path().string(), texture_class_name(e.path().string())});
      ++found;
    }
    UNIAD_CHECK(found > 0, "textures: source folder ", src, " has no .png, .jpg, .jpeg or .bmp images");
  }
  std::sort(out.begin(), out.end(), [](const TextureSource& a, const TextureSource& b) {
    return a.class_name != b.class_name ? a.class_name < b.class_name : a.path < b.path;
  });
  for (size_t i = 1; i < out.size(); ++i)
    UNIAD_CHECK(out[i].class_name != out[i - 1].class_name, "textures: ", out[i - 1].path, " and ", out[i].path,
                " both make the class name '", out[i].class_name, "'; rename one");
  return out;
}

ScanLayout plan_scan_layout(int height, int width, int crop, int min_crop, const std::string& what) {
  UNIAD_CHECK(crop >= 1 && height >= 1 && width >= 1, "textures: ", what, ": bad sizes: crop ", crop, ", scan ", width,
              " x ", height);
  ScanLayout l;
  l.height = height, l.width = width, l.out = crop;
  l.rows = height >= width;
  const int length = l.rows ? height : width, across = l.rows ? width : height;
  const int train = length / 2, test = length - train;  // test gets the odd pixel
  if (l.rows) {
    l.train = {0, 0, width, train};
    l.test = {0, train, width, test};
  } else {
    l.train = {0, 0, train, height};
    l.test = {train, 0, test, height};
  }
  l.side = std::min({crop, train, across});
  UNIAD_CHECK(l.side >= min_crop, "textures: ", what, ": scan is ", width, " x ", height,
              " px; its train and test bands (", train, " px) allow crops of ", l.side,
              " px, below the smallest crop (--min-crop ", min_crop, "); use a larger scan or a smaller --crop");
  return l;
}

CropTransforms parse_crop_transforms(const std::string& name) {
  if (name == "none") return CropTransforms::None;
  if (name == "flips") return CropTransforms::Flips;
  if (name == "dihedral") return CropTransforms::Dihedral;
  throw Error(cat("textures: unknown --transforms '", name, "' (none, flips, dihedral)"));
}

CropSpec draw_crop(const ScanLayout& l, const Rect& band, CropTransforms transforms, Generator& gen, int index,
                   int count) {
  CropSpec c;
  c.side = l.side;
  // Across the band: anywhere the crop fits. Along it: any start (in its stratum), the crop wraps.
  auto pick = [&gen](int n) { return int(gen.next_u64() % uint64_t(n)); };
  const int length = l.rows ? l.width : l.height;
  int along = pick(length);
  if (count > 0) {  // integer strata [i L / n, (i + 1) L / n): disjoint, so no repeats while n <= L
    const int64_t lo = int64_t(index) * length / count, hi = int64_t(index + 1) * length / count;
    along = int((lo + pick(int(std::max<int64_t>(1, hi - lo)))) % length);
  }
  if (l.rows) {
    c.y = band.y + pick(band.h - l.side + 1);
    c.x = along;
  } else {
    c.x = band.x + pick(band.w - l.side + 1);
    c.y = along;
  }
  const int n = transforms == CropTransforms::None ? 1 : transforms == CropTransforms::Flips ? 4 : 8;
  c.transform = pick(n);
  return c;
}

Image extract_crop(const Image& scan, const ScanLayout& l, const CropSpec& c) {
  UNIAD_CHECK(scan.channels == 3 && scan.bit_depth == 8 && scan.height == l.height && scan.width == l.width,
              "extract_crop: want the 8-bit RGB scan of ", l.height, " x ", l.width, ", got ", scan.height, " x ",
              scan.width, " x ", scan.channels);
  const int s = c.side;
  Image out = Image::zeros8(s, s, 3);
  for (int i = 0; i < s; ++i)
    for (int j = 0; j < s; ++j) {
      int a = i, b = j;
      if (c.transform & 1) b = s - 1 - b;
      if (c.transform & 2) a = s - 1 - a;
      if (c.transform & 4) std::swap(a, b);
      int row, col;
      crop_pixel(l, c, a, b, row, col);
      for (int ch = 0; ch < 3; ++ch) out.at(i, j, ch) = scan.at(row, col, ch);
    }
  return s == l.out ? out : resize_bilinear(out, l.out, l.out);
}

}  // namespace uniad::data

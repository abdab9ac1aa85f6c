// The benchmark's manifest.json; see data/texture_manifest.h.
#include "data/texture_manifest.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tensor/error.h"

namespace uniad::data {

namespace {

constexpr const char* kFormat = "uniad-texture-benchmark";

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

std::string num(double v, int digits = 4) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string rect(const Rect& r) { return cat("[", r.x, ", ", r.y, ", ", r.w, ", ", r.h, "]"); }
std::string crop(const CropSpec& c) { return cat("[", c.x, ", ", c.y, ", ", c.transform, "]"); }

std::string crop_list(const std::vector<CropSpec>& crops, size_t begin, size_t end) {
  std::string s = "[";
  for (size_t i = begin; i < end; ++i) s += (i > begin ? ", " : "") + crop(crops[i]);
  return s + "]";
}

}  // namespace

void write_texture_manifest(const std::string& path, const ManifestData& d) {
  const TextureBenchmarkOptions& o = *d.options;
  const TextureBenchmarkReport& r = *d.report;
  std::ostringstream j;
  j << "{\n  \"format\": " << quote(kFormat) << ",\n  \"version\": 1,\n";
  j << "  \"layout\": \"MVTec-AD: CLASS/train/good, CLASS/test/{good,KIND}, CLASS/ground_truth/KIND/NNN_mask.png\",\n";
  j << "  \"crop_fields\": \"[x, y, transform]: top-left in the scan (wrapping along the band), transform bits: 1 flip "
       "left-right, 2 flip top-bottom, 4 transpose\",\n";
  j << "  \"seed\": " << o.seed << ",\n  \"parameters\": {\n";
  j << "    \"crop\": " << o.crop << ", \"min_crop\": " << d.min_crop << ", \"train\": " << o.train
    << ", \"test_good\": " << o.test_good << ", \"test_defect\": " << o.test_defect << ",\n";
  const char* transforms[] = {"none", "flips", "dihedral"};
  j << "    \"transforms\": " << quote(transforms[int(o.transforms)]) << ", \"mask_threshold\": "
    << num(o.defects.mask_threshold) << ", \"min_visible\": " << num(o.defects.min_visible)
    << ", \"max_attempts\": " << o.defects.max_attempts << ",\n    \"kinds\": {";
  for (size_t k = 0; k < o.kinds.size(); ++k) {
    double lo, hi;
    defect_strength_range(o.kinds[k], lo, hi);
    j << (k ? ", " : "") << quote(defect_name(o.kinds[k])) << ": [" << num(lo, 2) << ", " << num(hi, 2) << "]";
  }
  j << "}\n  },\n  \"classes\": [\n";
  for (size_t c = 0; c < r.classes.size(); ++c) {
    const TextureClassReport& cr = r.classes[c];
    const ScanLayout& l = cr.layout;
    char crc[16];
    std::snprintf(crc, sizeof crc, "%08x", d.sources[c].crc32);
    j << "    {\"name\": " << quote(cr.name) << ", \"source\": " << quote(d.sources[c].path) << ", \"bytes\": "
      << d.sources[c].bytes << ", \"crc32\": \"" << crc << "\",\n";
    j << "     \"height\": " << l.height << ", \"width\": " << l.width << ", \"bands\": " << quote(l.rows ? "rows" : "columns")
      << ", \"train_band\": " << rect(l.train) << ", \"test_band\": " << rect(l.test) << ", \"crop_side\": " << l.side
      << ", \"magnification\": " << num(double(l.out) / l.side) << ", \"local_std\": " << num(cr.local_std) << ",\n";
    j << "     \"counts\": {\"train\": " << cr.train_crops.size() << ", \"test_good\": " << o.test_good
      << ", \"test_defect\": " << cr.test_crops.size() - o.test_good << ", \"defects\": {";
    for (size_t k = 0; k < o.kinds.size(); ++k) j << (k ? ", " : "") << quote(defect_name(o.kinds[k])) << ": " << cr.defects[k];
    j << "}},\n     \"train_crops\": " << crop_list(cr.train_crops, 0, cr.train_crops.size()) << ",\n";
    j << "     \"test_good_crops\": " << crop_list(cr.test_crops, 0, size_t(o.test_good)) << "}"
      << (c + 1 < r.classes.size() ? "," : "") << "\n";
  }
  j << "  ],\n  \"test_defects\": [\n";
  for (size_t i = 0; i < d.defects.size(); ++i) {
    const DefectRecord& e = d.defects[i];
    const Defect& f = e.defect;
    j << "    {\"class\": " << quote(e.class_name) << ", \"kind\": " << quote(defect_name(f.kind)) << ", \"image\": "
      << quote(e.image) << ", \"mask\": " << quote(e.mask) << ", \"crop\": " << crop(e.crop) << ",\n     \"strength\": "
      << num(f.strength) << ", \"local_std\": " << num(f.local_std) << ", \"mask_area\": " << f.mask_area
      << ", \"visible_change\": " << num(f.visible_change) << ", \"grey_change\": " << num(f.grey_change)
      << ", \"changed_fraction\": " << num(f.changed_fraction) << ", \"attempts\": " << f.attempts;
    if (!e.donor.empty()) j << ", \"donor\": " << quote(e.donor) << ", \"donor_crop\": " << crop(e.donor_crop);
    j << "}" << (i + 1 < d.defects.size() ? "," : "") << "\n";
  }
  j << "  ]\n}\n";

  const std::string text = j.str(), temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    UNIAD_CHECK(out.good(), "textures: cannot create ", temp);
    out << text;
    out.close();
    UNIAD_CHECK(out.good(), "textures: writing ", temp, " failed");
  }
  std::filesystem::rename(temp, path);
}

bool is_texture_manifest(const std::string& path) {
  std::ifstream in(path);
  if (!in) return false;
  std::string head(256, '\0');
  in.read(head.data(), std::streamsize(head.size()));
  head.resize(size_t(in.gcount()));
  return head.find(std::string("\"format\": \"") + kFormat + "\"") != std::string::npos;
}

}  // namespace uniad::data

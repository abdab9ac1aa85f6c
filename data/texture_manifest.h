#pragma once
// OUT/manifest.json of the texture benchmark (data/texture_benchmark.h): what was built, from
// which files, with which parameters, and every defect's numbers. Plain JSON, written by hand
// with fixed number formats so that the same build gives the same bytes. Thread counts and
// timings are left out on purpose: they would break that.
#include <cstdint>
#include <string>
#include <vector>

#include "data/texture_benchmark.h"

namespace uniad::data {

// One defective test image (the Defect's pixels are not kept).
struct DefectRecord {
  std::string class_name, image, mask;  // image and mask relative to OUT
  std::string donor;                    // patch: the class the pasted texture comes from
  int kind_slot = 0;                    // index into options.kinds
  CropSpec crop, donor_crop;
  Defect defect;
};

struct ManifestSource {
  std::string path;
  uint64_t bytes = 0;
  uint32_t crc32 = 0;  // zlib's CRC-32 of the file
};

struct ManifestData {
  const TextureBenchmarkOptions* options = nullptr;
  int min_crop = 0;
  std::vector<ManifestSource> sources;  // per class, in class order
  const TextureBenchmarkReport* report = nullptr;
  std::vector<DefectRecord> defects;    // in class, then image order
};

// Writes to a temporary file beside `path`, then renames.
void write_texture_manifest(const std::string& path, const ManifestData& data);
// Whether `path` is a manifest this tool wrote (its "format" field), e.g. before --force.
bool is_texture_manifest(const std::string& path);

}  // namespace uniad::data

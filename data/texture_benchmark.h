#pragma once
// The texture anomaly benchmark: an MVTec-AD style data set made from tileable texture scans
// (by default the 17 CC0 paper, canvas and cork scans of Debian's mypaint-data-extras). Each
// scan is one class; normal images are crops; anomalous test images are crops with a generated
// defect (data/defects.h) and its exact pixel mask. Written in the layout data/mvtec.h reads:
//   OUT/CLASS/train/good/NNN.png                 crops of the scan's train band
//   OUT/CLASS/test/good/NNN.png                  crops of its test band
//   OUT/CLASS/test/KIND/NNN.png                  test-band crops with one defect of KIND
//   OUT/CLASS/ground_truth/KIND/NNN_mask.png     the masks, grey 0/255
//   OUT/manifest.json                            sources (size, CRC-32), seed, parameters, the
//                                                crop of every image, every defect's numbers
// Train and test crops come from disjoint bands of each scan (data/texture_layout.h).
//
// Determinism: image i of split s of class c draws everything from a generator seeded with
// (seed, c's name, s, i), never from thread order, so the same options give byte-identical files
// for any thread count. The set is built in OUT.partial and renamed to OUT when complete; on an
// error OUT.partial is removed, and an existing OUT is only replaced with `force`.
// docs/textures.md describes the benchmark and the defects.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/defects.h"
#include "data/texture_layout.h"

namespace uniad::data {

// The two folders of mypaint-data-extras' scans.
std::vector<std::string> default_texture_sources();

struct TextureBenchmarkOptions {
  std::vector<std::string> sources = default_texture_sources();  // folders or image files
  std::string out;                                               // the benchmark's root folder
  uint64_t seed = 0;
  int crop = 256;                  // side of every written image
  int min_crop = 0;                // smallest native crop side; 0: crop / 2 (magnify at most 2x)
  int train = 80;                  // per class
  int test_good = 40;              // per class
  int test_defect = 56;            // per class, dealt round-robin over `kinds` (8 each by default)
  std::vector<DefectKind> kinds = all_defect_kinds();
  CropTransforms transforms = CropTransforms::Flips;
  DefectOptions defects;           // mask threshold, visibility threshold, attempts (donor unused)
  int threads = 0;                 // 0: OpenMP's default; results do not depend on it
  bool force = false;              // replace an existing OUT (only one this tool wrote, or empty)
  // Called after each image, by one thread at a time, with (images done, images in all).
  std::function<void(size_t, size_t)> progress;
};

struct TextureClassReport {
  std::string name, source;
  ScanLayout layout;
  double local_std = 0;                   // local_grey_std of the whole scan
  std::vector<CropSpec> train_crops;      // in file order
  std::vector<CropSpec> test_crops;       // test/good first, then the defect images in job order
  std::vector<int> defects;               // per entry of `kinds`
};

struct TextureBenchmarkReport {
  std::vector<DefectKind> kinds;
  std::vector<TextureClassReport> classes;
  std::vector<int> kind_count;            // per kind, over all classes
  std::vector<double> kind_visible;       // mean visible change per kind (levels)
  std::vector<double> kind_area;          // mean mask area per kind (pixels)
  size_t images = 0, masks = 0;
  uint64_t bytes = 0;                     // of every file written, manifest included
};

TextureBenchmarkReport build_texture_benchmark(const TextureBenchmarkOptions& options);

// The seed of one image's generator; split 0 train, 1 test/good, 2 test defect.
uint64_t texture_image_seed(uint64_t seed, const std::string& class_name, int split, int index);

}  // namespace uniad::data

#pragma once
// The MVTec-AD directory layout, shared by the real MVTec-AD and the generated texture benchmark:
//   ROOT/CLASS/train/good/*.png                  normal training images
//   ROOT/CLASS/test/good/*.png                   normal test images (label 0, no mask)
//   ROOT/CLASS/test/DEFECT/*.png                 anomalous test images (label 1)
//   ROOT/CLASS/ground_truth/DEFECT/STEM_mask.png their pixel masks
// This file only lists the files and their metadata; decoding pixels is data/image.h's job.
// The seam is Sample: image_path and mask_path are what a decoder opens.
#include <string>
#include <vector>

namespace uniad::data {

struct Sample {
  std::string image_path;  // ROOT/CLASS/{train,test}/DEFECT/FILE
  std::string mask_path;   // empty for good images
  std::string class_name;  // CLASS, e.g. "bottle"
  std::string defect;      // "good" or the defect folder name, e.g. "broken_large"
  std::string file_name;   // FILE, e.g. "000.png"
  int label = 0;           // 0 normal, 1 anomalous
};

struct MvtecSet {
  std::vector<std::string> classes;  // the classes scanned, sorted
  std::vector<Sample> train;         // every train/good image, sorted by (class, file)
  std::vector<Sample> test;          // every test image, sorted by (class, defect, file)
};

// The class folders under `root` (every subdirectory not starting with '.'), sorted.
std::vector<std::string> mvtec_classes(const std::string& root);

// Lists the images of `classes` (all of mvtec_classes(root) when empty). Image files are those
// ending in .png, .jpg, .jpeg or .bmp (any case); other files are ignored. Errors: missing root,
// unknown class (the message lists the available ones), a class without train/good images or
// without a test folder, a defect image without its mask (the message names the expected path).
MvtecSet scan_mvtec(const std::string& root, const std::vector<std::string>& classes = {});

}  // namespace uniad::data

// The MVTec-AD layout scanner on a small tree of empty placeholder images it makes itself:
// order, labels, defect names and mask paths, class subsets, and every error message.
#include <filesystem>
#include <fstream>

#include "data/mvtec.h"
#include "test_util.h"

using namespace uniad;
using namespace uniad::data;
using test::contains;
using test::error_of;
using test::TempDir;
namespace fs = std::filesystem;

namespace {


// Two classes, written out of order so that sorting is tested, plus files the scanner must skip.
void make_tree(const TempDir& t) {
  for (const char* f : {"zipper/train/good/001.png", "zipper/train/good/000.png", "zipper/test/good/000.png",
                        "zipper/test/squeezed/000.png", "zipper/ground_truth/squeezed/000_mask.png",
                        "zipper/test/broken_teeth/001.png", "zipper/test/broken_teeth/000.png",
                        "zipper/ground_truth/broken_teeth/000_mask.png", "zipper/ground_truth/broken_teeth/001_mask.png",
                        "bottle/train/good/002.PNG", "bottle/train/good/000.png", "bottle/train/good/readme.txt",
                        "bottle/train/good/.DS_Store", "bottle/test/good/000.png", "bottle/test/good/001.png",
                        "bottle/test/contamination/000.png", "bottle/ground_truth/contamination/000_mask.png",
                        "license.txt", ".git/HEAD"})
    t.touch(f);
}

std::vector<std::string> names(const std::vector<Sample>& samples) {
  std::vector<std::string> out;
  for (const Sample& s : samples) out.push_back(s.class_name + "/" + s.defect + "/" + s.file_name);
  return out;
}

}  // namespace

TEST_CASE("mvtec: every class, sorted, with labels, defects and mask paths") {
  TempDir t("mvtec_tree");
  make_tree(t);
  CHECK(mvtec_classes(t.path.string()) == std::vector<std::string>{"bottle", "zipper"});
  const MvtecSet set = scan_mvtec(t.path.string());
  CHECK(set.classes == std::vector<std::string>{"bottle", "zipper"});
  CHECK(names(set.train) == std::vector<std::string>{"bottle/good/000.png", "bottle/good/002.PNG",
                                                     "zipper/good/000.png", "zipper/good/001.png"});
  CHECK(names(set.test) ==
        std::vector<std::string>{"bottle/contamination/000.png", "bottle/good/000.png", "bottle/good/001.png",
                                 "zipper/broken_teeth/000.png", "zipper/broken_teeth/001.png", "zipper/good/000.png",
                                 "zipper/squeezed/000.png"});
  for (const Sample& s : set.train) {
    CHECK(s.label == 0);
    CHECK(s.mask_path.empty());
    CHECK(s.image_path == t / (s.class_name + "/train/good/" + s.file_name));
  }
  for (const Sample& s : set.test) {
    CAPTURE(s.image_path);
    CHECK(s.image_path == t / (s.class_name + "/test/" + s.defect + "/" + s.file_name));
    CHECK(s.label == (s.defect == "good" ? 0 : 1));
    if (s.label == 0) CHECK(s.mask_path.empty());
    else
      CHECK(s.mask_path ==
            t / (s.class_name + "/ground_truth/" + s.defect + "/" + fs::path(s.file_name).stem().string() + "_mask.png"));
  }
}

TEST_CASE("mvtec: a subset of classes, given in any order") {
  TempDir t("mvtec_subset");
  make_tree(t);
  const MvtecSet set = scan_mvtec(t.path.string(), {"zipper"});
  CHECK(set.classes == std::vector<std::string>{"zipper"});
  CHECK(set.train.size() == 2);
  CHECK(set.test.size() == 4);
  for (const Sample& s : set.test) CHECK(s.class_name == "zipper");
  const MvtecSet both = scan_mvtec(t.path.string(), {"zipper", "bottle"});
  CHECK(both.classes == std::vector<std::string>{"bottle", "zipper"});
  CHECK(names(both.test) == names(scan_mvtec(t.path.string()).test));
}

TEST_CASE("mvtec: missing root, unknown class, missing folders and masks") {
  TempDir t("mvtec_errors");
  make_tree(t);
  std::string e = error_of([&] { scan_mvtec(t / ("nowhere")); });
  CHECK((contains(e, "nowhere") && contains(e, "is not a directory")));

  e = error_of([&] { scan_mvtec(t.path.string(), {"bottle", "cable"}); });
  CHECK((contains(e, "unknown class \"cable\"") && contains(e, "available: bottle, zipper")));

  TempDir empty("mvtec_empty");
  e = error_of([&] { scan_mvtec(empty.path.string()); });
  CHECK(contains(e, "no class folders in"));

  t.touch("screw/test/good/000.png");
  e = error_of([&] { scan_mvtec(t.path.string(), {"screw"}); });
  CHECK((contains(e, "class screw has no train/good folder") && contains(e, t / ("screw/train/good"))));
  // The default scans every class, so one broken class stops it too.
  CHECK(contains(error_of([&] { scan_mvtec(t.path.string()); }), "class screw has no train/good folder"));

  fs::create_directories(t.path / "grid/train/good");
  t.touch("grid/train/good/notes.txt");
  e = error_of([&] { scan_mvtec(t.path.string(), {"grid"}); });
  CHECK((contains(e, "class grid: no images in") && contains(e, t / ("grid/train/good"))));

  t.touch("tile/train/good/000.png");
  e = error_of([&] { scan_mvtec(t.path.string(), {"tile"}); });
  CHECK((contains(e, "class tile has no test folder") && contains(e, t / ("tile/test"))));

  t.touch("zipper/test/squeezed/001.png");
  e = error_of([&] { scan_mvtec(t.path.string(), {"zipper"}); });
  CHECK((contains(e, "defect image " + t / ("zipper/test/squeezed/001.png")) &&
         contains(e, "has no mask (expected " + t / ("zipper/ground_truth/squeezed/001_mask.png") + ")")));
}

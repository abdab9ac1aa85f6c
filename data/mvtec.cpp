#include "data/mvtec.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "tensor/error.h"

namespace uniad::data {
namespace fs = std::filesystem;
namespace {

bool is_image_file(const fs::directory_entry& e) {
  if (!e.is_regular_file()) return false;
  std::string ext = e.path().extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

bool is_hidden(const fs::path& p) { return p.filename().string().starts_with("."); }

// Names of the image files (or, with dirs = true, the subfolders) of `dir`, sorted so that the
// order does not depend on the file system's directory order.
std::vector<std::string> sorted_names(const fs::path& dir, bool dirs) {
  std::vector<std::string> names;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (is_hidden(e.path())) continue;
    if (dirs ? e.is_directory() : is_image_file(e)) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string join(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
  return s.empty() ? "(none)" : s;
}

void scan_class(const fs::path& root, const std::string& name, MvtecSet& out) {
  const fs::path dir = root / name;
  const fs::path train_good = dir / "train" / "good";
  UNIAD_CHECK(fs::is_directory(train_good), "scan_mvtec: class ", name, " has no train/good folder (expected ",
              train_good.string(), ")");
  const std::vector<std::string> train_files = sorted_names(train_good, false);
  UNIAD_CHECK(!train_files.empty(), "scan_mvtec: class ", name, ": no images in ", train_good.string());
  for (const std::string& file : train_files)
    out.train.push_back({(train_good / file).string(), "", name, "good", file, 0});

  const fs::path test = dir / "test";
  UNIAD_CHECK(fs::is_directory(test), "scan_mvtec: class ", name, " has no test folder (expected ", test.string(),
              ")");
  for (const std::string& defect : sorted_names(test, true)) {
    const bool good = defect == "good";
    for (const std::string& file : sorted_names(test / defect, false)) {
      Sample s{(test / defect / file).string(), "", name, defect, file, good ? 0 : 1};
      if (!good) {
        const fs::path mask = dir / "ground_truth" / defect / (fs::path(file).stem().string() + "_mask.png");
        UNIAD_CHECK(fs::is_regular_file(mask), "scan_mvtec: class ", name, ": defect image ", s.image_path,
                    " has no mask (expected ", mask.string(), ")");
        s.mask_path = mask.string();
      }
      out.test.push_back(std::move(s));
    }
  }
}

}  // namespace

std::vector<std::string> mvtec_classes(const std::string& root) {
  UNIAD_CHECK(fs::is_directory(root), "scan_mvtec: root ", root, " is not a directory");
  return sorted_names(root, true);
}

MvtecSet scan_mvtec(const std::string& root, const std::vector<std::string>& classes) {
  const std::vector<std::string> available = mvtec_classes(root);
  MvtecSet out;
  out.classes = classes.empty() ? available : classes;
  std::sort(out.classes.begin(), out.classes.end());
  out.classes.erase(std::unique(out.classes.begin(), out.classes.end()), out.classes.end());
  for (const std::string& name : out.classes) {
    UNIAD_CHECK(std::binary_search(available.begin(), available.end(), name), "scan_mvtec: unknown class \"", name,
                "\" in ", root, "; available: ", join(available));
  }
  UNIAD_CHECK(!out.classes.empty(), "scan_mvtec: no class folders in ", root);
  for (const std::string& name : out.classes) scan_class(root, name, out);
  return out;
}

}  // namespace uniad::data

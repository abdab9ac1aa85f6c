// The whole texture benchmark on small synthetic scans: the MVTec-AD tree read back by
// scan_mvtec, the mask rule on the written files, determinism across seeds and thread counts,
// atomic output and errors that name the file.
#include <filesystem>
#include <fstream>
#include <map>

#include "data/mvtec.h"
#include "data/texture_benchmark.h"
#include "data/texture_manifest.h"
#include "test_textures_util.h"
#include "test_util.h"

using namespace uniad;
using namespace uniad::data;
using test::contains;
using test::error_of;
using test::noise_texture;
using test::TempDir;
namespace fs = std::filesystem;

namespace {

// Three small scans: two square (row bands), one wide (column bands), different looks.
void write_scans(const TempDir& t) {
  fs::create_directories(t.path / "src");
  write_png(t / "src/Paper A.png", noise_texture(96, 96, 1, 6));
  write_png(t / "src/cork.png", noise_texture(112, 112, 2, 14, 200, 140, 90));
  write_png(t / "src/Wide-Canvas.png", noise_texture(96, 128, 3, 4, 230, 225, 210));
}

TextureBenchmarkOptions small_options(const TempDir& t, const std::string& out) {
  TextureBenchmarkOptions o;
  o.sources = {t / "src"};
  o.out = t / out;
  o.crop = 48;
  o.train = 5;
  o.test_good = 3;
  o.test_defect = 9;  // 7 kinds: stain and scratch get 2, the others 1
  o.threads = 1;
  return o;
}

// Every regular file under `root`, relative path -> bytes.
std::map<std::string, std::string> read_tree(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    files[fs::relative(e.path(), root).string()] = std::string(std::istreambuf_iterator<char>(in), {});
  }
  return files;
}

}  // namespace

TEST_CASE("textures: the benchmark reads back with scan_mvtec, with the expected counts") {
  TempDir t("textures_build");
  write_scans(t);
  TextureBenchmarkOptions o = small_options(t, "bench");
  size_t calls = 0, last_done = 0, last_total = 0;
  o.progress = [&](size_t done, size_t total) { ++calls, last_done = done, last_total = total; };
  const TextureBenchmarkReport r = build_texture_benchmark(o);
  CHECK(calls == 3 * 17);
  CHECK(last_done == last_total);
  CHECK(r.images == 3 * 17);
  CHECK(r.masks == 3 * 9);
  CHECK(!fs::exists(t / "bench.partial"));
  CHECK(fs::exists(t / "bench/manifest.json"));
  CHECK(is_texture_manifest(t / "bench/manifest.json"));

  const MvtecSet set = scan_mvtec(t / "bench");
  CHECK(set.classes == std::vector<std::string>{"cork", "paper_a", "wide_canvas"});
  CHECK(set.train.size() == 15);
  CHECK(set.test.size() == 3 * 12);
  std::map<std::string, int> per_defect;
  for (const Sample& s : set.test) ++per_defect[s.defect];
  CHECK(per_defect["good"] == 9);
  CHECK(per_defect["stain"] == 6);
  CHECK(per_defect["scratch"] == 6);
  for (const char* k : {"fold", "hole", "patch", "color_shift", "blur"}) CHECK(per_defect[k] == 3);
  CHECK(r.kind_count[0] == 6);

  // The written files keep the mask rule: regenerate each clean crop from the report and compare.
  const std::vector<TextureSource> sources = list_texture_sources(o.sources);
  for (size_t c = 0; c < r.classes.size(); ++c) {
    const TextureClassReport& cr = r.classes[c];
    const Image scan = to_rgb8(decode_image(sources[c].path));
    CHECK(cr.layout.side == 48);
    for (size_t i = 0; i < size_t(o.test_defect); ++i) {
      const std::string kind = defect_name(o.kinds[i % o.kinds.size()]);
      auto path = [&](const char* split, const char* suffix) {
        return t / cat("bench/", cr.name, "/", split, "/", kind, "/00", i / o.kinds.size(), suffix);
      };
      CAPTURE(path("test", ".png"));
      const Image clean = extract_crop(scan, cr.layout, cr.test_crops[size_t(o.test_good) + i]);
      const Image img = decode_image(path("test", ".png")), mask = decode_image(path("ground_truth", "_mask.png"));
      REQUIRE(img.height == 48);
      REQUIRE(mask.channels == 1);
      int area = 0, outside = 0, grey = 0;
      for (int y = 0; y < 48; ++y)
        for (int x = 0; x < 48; ++x) {
          area += mask.at(y, x) == 255;
          grey += mask.at(y, x) != 0 && mask.at(y, x) != 255;
          for (int ch = 0; ch < 3; ++ch) outside += !mask.at(y, x) && img.at(y, x, ch) != clean.at(y, x, ch);
        }
      CHECK(area > 0);
      CHECK(grey == 0);
      CHECK(outside == 0);
    }
    // Train crops lie in the train band, test crops in the test band.
    for (int split = 0; split < 2; ++split)
      for (const CropSpec& crop : split == 0 ? cr.train_crops : cr.test_crops) {
        const Rect& band = split == 0 ? cr.layout.train : cr.layout.test;
        int row0, col0, row1, col1;
        crop_pixel(cr.layout, crop, 0, 0, row0, col0);
        crop_pixel(cr.layout, crop, crop.side - 1, crop.side - 1, row1, col1);
        const bool rows = cr.layout.rows;
        CHECK((rows ? row0 : col0) >= (rows ? band.y : band.x));
        CHECK((rows ? row1 : col1) < (rows ? band.y + band.h : band.x + band.w));
      }
  }
}

TEST_CASE("textures: same seed gives the same bytes for any thread count, and another seed differs") {
  TempDir t("textures_determinism");
  write_scans(t);
  TextureBenchmarkOptions a = small_options(t, "a"), b = small_options(t, "b"), c = small_options(t, "c");
  b.threads = 2;
  c.seed = 1;
  build_texture_benchmark(a);
  build_texture_benchmark(b);
  build_texture_benchmark(c);
  const auto fa = read_tree(t.path / "a"), fb = read_tree(t.path / "b"), fc = read_tree(t.path / "c");
  CHECK(fa.size() == 3 * (17 + 9) + 1);
  CHECK(fa == fb);
  REQUIRE(fa.size() == fc.size());
  int differ = 0;
  for (const auto& [name, bytes] : fa) differ += fc.at(name) != bytes;
  CHECK(differ > int(fa.size()) / 2);
}

TEST_CASE("textures: errors name the path and leave no output behind") {
  TempDir t("textures_errors");
  write_scans(t);
  TextureBenchmarkOptions o = small_options(t, "out");
  auto nothing_left = [&] { return !fs::exists(t / "out") && !fs::exists(t / "out.partial"); };

  o.sources = {t / "missing"};
  CHECK(contains(error_of([&] { build_texture_benchmark(o); }), t / "missing"));
  CHECK(nothing_left());

  fs::create_directories(t.path / "empty");
  o.sources = {t / "empty"};
  CHECK(contains(error_of([&] { build_texture_benchmark(o); }), t / "empty"));
  CHECK(nothing_left());

  fs::create_directories(t.path / "corrupt");
  fs::copy_file(t / "src/cork.png", t / "corrupt/cork.png");
  std::ofstream(t / "corrupt/broken.png") << "\x89PNG not really";
  o.sources = {t / "corrupt"};
  CHECK(contains(error_of([&] { build_texture_benchmark(o); }), t / "corrupt/broken.png"));
  CHECK(nothing_left());

  fs::create_directories(t.path / "small");
  write_png(t / "small/tiny.png", noise_texture(30, 30, 9, 5));  // bands of 15 px < min crop 24
  o.sources = {t / "src", t / "small"};
  CHECK(contains(error_of([&] { build_texture_benchmark(o); }), t / "small/tiny.png"));
  CHECK(nothing_left());

  o.sources = {t / "src/cork.png"};  // one scan cannot give another texture for patches
  CHECK(contains(error_of([&] { build_texture_benchmark(o); }), "--kinds"));
  CHECK(nothing_left());
}

TEST_CASE("textures: an existing OUT is replaced only with force, and only if it is ours") {
  TempDir t("textures_force");
  write_scans(t);
  TextureBenchmarkOptions o = small_options(t, "out");
  o.test_defect = 0;
  build_texture_benchmark(o);
  CHECK(contains(error_of([&] { build_texture_benchmark(o); }), "--force"));
  o.force = true;
  o.train = 2;
  build_texture_benchmark(o);
  CHECK(scan_mvtec(t / "out").train.size() == 6);
  CHECK(!fs::exists(t / "out.old"));

  fs::create_directories(t.path / "precious");
  std::ofstream(t / "precious/notes.txt") << "keep me";
  o.out = t / "precious";
  CHECK(contains(error_of([&] { build_texture_benchmark(o); }), "not a texture benchmark"));
  CHECK(fs::exists(t / "precious/notes.txt"));
  CHECK(!fs::exists(t / "precious.partial"));
}

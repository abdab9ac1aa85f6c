// Builds the texture benchmark: load scans, plan crops, draw defects in parallel, write the
// MVTec-AD tree and the manifest atomically. Contract in data/texture_benchmark.h.
#include "data/texture_benchmark.h"

#include <omp.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>

#include "data/texture_manifest.h"
#include "tensor/error.h"

namespace uniad::data {
namespace fs = std::filesystem;

namespace {

constexpr const char* kPartialMarker = ".uniad-textures-partial";

uint64_t splitmix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

struct Scan {
  TextureSource source;
  Image rgb;
  ScanLayout layout;
  uint64_t bytes = 0;
  uint32_t crc = 0;
  double local_std = 0;
};

Scan load_scan(const TextureSource& src, const TextureBenchmarkOptions& opt, int min_crop) {
  std::ifstream in(src.path, std::ios::binary);
  UNIAD_CHECK(in.good(), "textures: cannot open ", src.path);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Scan s;
  s.source = src;
  s.bytes = bytes.size();
  s.crc = uint32_t(crc32(0L, bytes.data(), uInt(bytes.size())));
  s.rgb = to_rgb8(decode_image_memory(bytes.data(), bytes.size(), src.path));
  s.layout = plan_scan_layout(s.rgb.height, s.rgb.width, opt.crop, min_crop, src.path);
  s.local_std = local_grey_std(s.rgb, 0, 0, s.rgb.width, s.rgb.height);
  return s;
}

void check_options(const TextureBenchmarkOptions& o, int min_crop) {
  UNIAD_CHECK(!o.out.empty(), "textures: no output folder (--out) given");
  UNIAD_CHECK(o.crop >= 16 && o.crop <= 4096, "textures: --crop ", o.crop, " is outside [16, 4096]");
  UNIAD_CHECK(min_crop >= 8 && min_crop <= o.crop, "textures: --min-crop ", min_crop, " is outside [8, --crop ", o.crop, "]");
  UNIAD_CHECK(o.train >= 1 && o.test_good >= 1 && o.test_defect >= 0, "textures: want --train >= 1, --test-good >= 1 and ",
              "--test-defect >= 0, got ", o.train, ", ", o.test_good, ", ", o.test_defect);
  UNIAD_CHECK(o.test_defect == 0 || !o.kinds.empty(), "textures: --test-defect ", o.test_defect, " needs at least one defect kind");
  UNIAD_CHECK(o.defects.mask_threshold > 0 && o.defects.mask_threshold < 1, "textures: --mask-threshold ",
              o.defects.mask_threshold, " is outside (0, 1)");
  UNIAD_CHECK(o.defects.max_attempts >= 1, "textures: --max-attempts ", o.defects.max_attempts, " is below 1");
}

// An existing OUT may only be replaced when it is empty or a benchmark this tool wrote.
void check_out(const TextureBenchmarkOptions& o) {
  if (!fs::exists(o.out)) return;
  UNIAD_CHECK(o.force, "textures: ", o.out, " already exists; pass --force to replace it");
  UNIAD_CHECK(fs::is_directory(o.out), "textures: ", o.out, " exists and is not a folder; not replacing it");
  const bool empty = fs::directory_iterator(o.out) == fs::directory_iterator();
  UNIAD_CHECK(empty || is_texture_manifest(o.out + "/manifest.json"), "textures: ", o.out,
              " is not a texture benchmark (no manifest.json of ours); not replacing it even with --force");
}

// A fresh OUT.partial; a leftover from an interrupted run (it carries our marker) is removed.
std::string make_partial(const std::string& out) {
  const std::string partial = out + ".partial";
  if (fs::exists(partial)) {
    UNIAD_CHECK(fs::exists(fs::path(partial) / kPartialMarker), "textures: ", partial,
                " exists and was not made by this tool; remove it or choose another --out");
    fs::remove_all(partial);
  }
  fs::create_directories(partial);
  std::ofstream(fs::path(partial) / kPartialMarker) << "uniad prepare textures: incomplete build\n";
  return partial;
}

std::string three_digits(int i, int n) {
  std::string s = std::to_string(i);
  const size_t width = std::max<size_t>(3, std::to_string(std::max(n - 1, 0)).size());
  return std::string(width > s.size() ? width - s.size() : 0, '0') + s;
}

struct Job {
  int cls, split, index;  // split 0 train, 1 test/good, 2 test defect
};

void build_into(const TextureBenchmarkOptions& opt, const std::vector<Scan>& scans, const std::string& root,
                TextureBenchmarkReport& report, ManifestData& manifest) {
  const int nk = int(opt.kinds.size());
  std::vector<Job> jobs;
  for (int c = 0; c < int(scans.size()); ++c) {
    for (int i = 0; i < opt.train; ++i) jobs.push_back({c, 0, i});
    for (int i = 0; i < opt.test_good; ++i) jobs.push_back({c, 1, i});
    for (int i = 0; i < opt.test_defect; ++i) jobs.push_back({c, 2, i});
  }
  for (int c = 0; c < int(scans.size()); ++c) {
    const fs::path dir = fs::path(root) / scans[c].source.class_name;
    fs::create_directories(dir / "train" / "good");
    fs::create_directories(dir / "test" / "good");
    for (int k = 0; k < std::min(nk, opt.test_defect); ++k) {
      fs::create_directories(dir / "test" / defect_name(opt.kinds[k]));
      fs::create_directories(dir / "ground_truth" / defect_name(opt.kinds[k]));
    }
  }
  std::vector<CropSpec> crops(jobs.size());
  std::vector<DefectRecord> records(jobs.size());
  std::vector<std::string> errors(jobs.size());
  std::atomic<bool> failed{false};
  size_t done = 0;
  const int threads = opt.threads > 0 ? opt.threads : omp_get_max_threads();
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (size_t j = 0; j < jobs.size(); ++j) {
    if (failed.load()) continue;
    const Job job = jobs[j];
    const Scan& scan = scans[job.cls];
    const std::string& name = scan.source.class_name;
    try {
      Generator gen(texture_image_seed(opt.seed, name, job.split, job.index));
      const Rect& band = job.split == 0 ? scan.layout.train : scan.layout.test;
      const int count = job.split == 0 ? opt.train : job.split == 1 ? opt.test_good : opt.test_defect;
      crops[j] = draw_crop(scan.layout, band, opt.transforms, gen, job.index, count);
      const Image clean = extract_crop(scan.rgb, scan.layout, crops[j]);
      const fs::path dir = fs::path(root) / name;
      if (job.split < 2) {
        const int n = job.split == 0 ? opt.train : opt.test_good;
        write_png((dir / (job.split == 0 ? "train" : "test") / "good" / (three_digits(job.index, n) + ".png")).string(), clean);
      } else {
        const DefectKind kind = opt.kinds[job.index % nk];
        const int n_kind = (opt.test_defect - job.index % nk + nk - 1) / nk;  // images of this kind
        const std::string file = three_digits(job.index / nk, n_kind);
        DefectOptions dopt = opt.defects;
        Image donor;
        DefectRecord& r = records[j];
        if (kind == DefectKind::Patch) {  // a crop of another class's test band
          int other = int(gen.next_u64() % uint64_t(scans.size() - 1));
          other += other >= job.cls;
          const Scan& d = scans[other];
          r.donor = d.source.class_name;
          r.donor_crop = draw_crop(d.layout, d.layout.test, opt.transforms, gen);
          donor = extract_crop(d.rgb, d.layout, r.donor_crop);
          dopt.donor = &donor;
        }
        const Defect defect = make_defect(clean, kind, gen, dopt);
        const std::string kname = defect_name(kind);
        r.image = name + "/test/" + kname + "/" + file + ".png";
        r.mask = name + "/ground_truth/" + kname + "/" + file + "_mask.png";
        write_png((fs::path(root) / r.image).string(), defect.image);
        write_png((fs::path(root) / r.mask).string(), defect.mask);
        r.class_name = name;
        r.kind_slot = job.index % nk;
        r.crop = crops[j];
        r.defect = defect;
        r.defect.image = {};  // the manifest keeps the numbers, not the pixels
        r.defect.mask = {};
      }
    } catch (const std::exception& e) {
      errors[j] = cat(name, " ", job.split == 0 ? "train" : job.split == 1 ? "test/good" : "test defect", " image ",
                      job.index, ": ", e.what());
      failed = true;
    }
#pragma omp critical(texture_progress)
    {
      ++done;
      if (opt.progress) opt.progress(done, jobs.size());
    }
  }
  for (const std::string& e : errors) UNIAD_CHECK(e.empty(), "textures: ", e);  // the first, in job order

  // Gather the report in job order, which fixes it independently of the threads.
  report.kinds = opt.kinds;
  report.kind_count.assign(nk, 0);
  report.kind_visible.assign(nk, 0);
  report.kind_area.assign(nk, 0);
  for (const Scan& s : scans)
    report.classes.push_back({s.source.class_name, s.source.path, s.layout, s.local_std, {}, {}, std::vector<int>(nk, 0)});
  for (size_t j = 0; j < jobs.size(); ++j) {
    TextureClassReport& cr = report.classes[jobs[j].cls];
    (jobs[j].split == 0 ? cr.train_crops : cr.test_crops).push_back(crops[j]);
    ++report.images;
    if (jobs[j].split < 2) continue;
    const int k = records[j].kind_slot;
    ++cr.defects[k];
    ++report.kind_count[k];
    report.kind_visible[k] += records[j].defect.visible_change;
    report.kind_area[k] += records[j].defect.mask_area;
    ++report.masks;
    manifest.defects.push_back(records[j]);
  }
  for (int k = 0; k < nk; ++k)
    if (report.kind_count[k]) report.kind_visible[k] /= report.kind_count[k], report.kind_area[k] /= report.kind_count[k];
}

}  // namespace

std::vector<std::string> default_texture_sources() {
  return {"/usr/share/mypaint/backgrounds/ramon", "/usr/share/mypaint/backgrounds/mrmamurk"};
}

uint64_t texture_image_seed(uint64_t seed, const std::string& class_name, int split, int index) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a of the class name: independent of class order
  for (unsigned char c : class_name) h = (h ^ c) * 1099511628211ull;
  return splitmix(splitmix(splitmix(splitmix(seed) ^ h) ^ uint64_t(split)) ^ uint64_t(index));
}

TextureBenchmarkReport build_texture_benchmark(const TextureBenchmarkOptions& options) {
  TextureBenchmarkOptions opt = options;  // OUT without trailing '/', so OUT.partial is its sibling
  while (opt.out.size() > 1 && opt.out.back() == '/') opt.out.pop_back();
  const int min_crop = opt.min_crop > 0 ? opt.min_crop : std::max(8, opt.crop / 2);
  check_options(opt, min_crop);
  check_out(opt);
  const std::vector<TextureSource> sources = list_texture_sources(opt.sources);
  std::vector<Scan> scans;
  for (const TextureSource& s : sources) scans.push_back(load_scan(s, opt, min_crop));
  const bool patch = opt.test_defect > 0 &&
                     std::find(opt.kinds.begin(), opt.kinds.end(), DefectKind::Patch) != opt.kinds.end();
  UNIAD_CHECK(!patch || scans.size() >= 2, "textures: the 'patch' defect needs at least 2 source scans (found ",
              scans.size(), "); drop it with --kinds");

  const std::string partial = make_partial(opt.out);
  try {
    TextureBenchmarkReport report;
    ManifestData manifest;
    manifest.options = &opt;
    manifest.min_crop = min_crop;
    build_into(opt, scans, partial, report, manifest);
    for (size_t c = 0; c < scans.size(); ++c)
      manifest.sources.push_back({scans[c].source.path, scans[c].bytes, scans[c].crc});
    manifest.report = &report;
    write_texture_manifest(partial + "/manifest.json", manifest);
    fs::remove(fs::path(partial) / kPartialMarker);
    for (const fs::directory_entry& e : fs::recursive_directory_iterator(partial))
      if (e.is_regular_file()) report.bytes += e.file_size();
    // Swap in: an old OUT (checked above) moves aside first, so OUT is never half-written.
    if (fs::exists(opt.out)) {
      const std::string old = opt.out + ".old";
      UNIAD_CHECK(!fs::exists(old) || is_texture_manifest(old + "/manifest.json"), "textures: ", old,
                  " is in the way of replacing ", opt.out, "; remove it");
      fs::remove_all(old);
      fs::rename(opt.out, old);
      fs::rename(partial, opt.out);
      fs::remove_all(old);
    } else {
      fs::rename(partial, opt.out);
    }
    return report;
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(partial, ignored);
    throw;
  }
}

}  // namespace uniad::data

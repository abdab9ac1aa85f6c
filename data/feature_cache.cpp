// Writing the feature cache, batch by batch and resumable; reading is in feature_cache_read.cpp.
#include "data/feature_cache.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>

#include "data/feature_cache_layout.h"
#include "tensor/hdf5_io.h"

namespace uniad::data {

namespace fs = std::filesystem;
using nlohmann::json;
namespace layout = cache_layout;

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

const std::vector<DataSample>& samples_of(const Dataset& d, const std::string& split) {
  return split == "train" ? d.train : d.test;
}

// FNV-1a over everything that identifies the samples and their order: a partial file written for
// another sample list (images added, a class dropped) must not be continued.
std::string samples_fingerprint(const Dataset& d) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](const std::string& s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;  // separator: ("ab","c") differs from ("a","bc")
  };
  for (const char* split : layout::kSplits)
    for (const DataSample& s : samples_of(d, split)) {
      mix(s.image_path.empty() ? s.file_name : s.image_path);
      mix(s.mask_path);
      mix(std::to_string(s.label) + "/" + std::to_string(s.class_id));
    }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

json preprocessing_json(const FeatureCacheConfig& c) {
  return {{"image", "decode, RGB (grey copied to 3 channels), PIL-exact antialiased bilinear resize to "
                    "input_size x input_size, pixel / 255; the extractor then applies its scaling"},
          {"input_size", c.data.input_size},
          {"scaling", c.backbone.scaling},
          {"mask", "grey, nearest-neighbour resize to eval_size x eval_size, value > 0 is defect (1), else 0"},
          {"eval_size", c.data.eval_size}};
}

void create_split(h5::File& f, const std::string& split, const std::vector<DataSample>& samples, int64_t channels,
                  int64_t grid, const FeatureCacheConfig& c) {
  const int64_t n = static_cast<int64_t>(samples.size());
  std::vector<int64_t> labels, class_ids;
  std::vector<std::string> defects, files, paths;
  for (const DataSample& s : samples) {
    labels.push_back(s.label);
    class_ids.push_back(s.class_id);
    defects.push_back(s.defect);
    files.push_back(s.file_name);
    paths.push_back(s.image_path);
  }
  const std::string g = "/" + split;
  f.create_chunked(g + "/features", h5::File::Stored::Float32, {n, channels, grid, grid}, c.features.batch_size);
  f.write(g + "/labels", Tensor::from_indices(labels, {n}));
  f.write(g + "/class_ids", Tensor::from_indices(class_ids, {n}));
  f.write_strings(g + "/defects", defects);
  f.write_strings(g + "/files", files);
  f.write_strings(g + "/paths", paths);
  if (split == "test")  // masks are mostly zeros: deflate shrinks them many times over
    f.create_chunked(g + "/masks", h5::File::Stored::UInt8, {n, c.data.eval_size, c.data.eval_size},
                     c.features.batch_size, /*deflate=*/4);
  f.set_attr(g, "count", n);
  f.set_attr(g, "completed", int64_t{0});
}

h5::File create_partial(const std::string& path, const FeatureCacheConfig& c, const Dataset& d,
                        const FeatureExtractor& e) {
  h5::File f = h5::File::create(path);
  f.set_attr("/", "format", layout::kFormat);
  f.set_attr("/", "format_version", layout::kFormatVersion);
  f.set_attr("/", "complete", int64_t{0});
  f.set_attr("/", "config", to_json(c).dump());
  f.set_attr("/", "extractor", e.describe());
  f.set_attr("/", "data", d.description.dump());
  f.set_attr("/", "preprocessing", preprocessing_json(c).dump());
  f.set_attr("/", "samples_fingerprint", samples_fingerprint(d));
  f.write_strings("/class_names", d.class_names);
  for (const char* split : layout::kSplits) create_split(f, split, samples_of(d, split), e.channels(), e.grid(), c);
  f.flush();
  return f;
}

// "backbone.scaling: the partial file has "unit", the configuration "symmetric"" for each key
// that differs between two configuration identities.
std::string identity_difference(const json& was, const json& now) {
  std::string diff;
  for (const auto& [section, body] : now.items())
    for (const auto& [key, value] : body.items()) {
      const json old = was.contains(section) && was[section].contains(key) ? was[section][key] : json();
      if (old != value)
        diff += cat(diff.empty() ? "" : "; ", section, ".", key, ": the partial file has ", old.dump(),
                    ", the configuration ", value.dump());
    }
  return diff;
}

// Opens an existing partial file and checks that it was started by the same configuration,
// extractor and sample list; returns the file and the samples completed per split.
h5::File open_partial(const std::string& path, const FeatureCacheConfig& c, const Dataset& d,
                      const FeatureExtractor& e, int64_t completed[2]) {
  h5::File f = h5::File::open_write(path);
  UNIAD_CHECK(f.has_attr("/", "format") && f.attr_string("/", "format") == layout::kFormat,
              "it is not a feature cache (no format attribute '", layout::kFormat, "')");
  const int64_t version = f.attr_int("/", "format_version");
  UNIAD_CHECK(version == layout::kFormatVersion, "format version ", version, ", this program writes ",
              layout::kFormatVersion);
  const json was = feature_cache_identity(
      feature_cache_config_from_json(json::parse(f.attr_string("/", "config")), path + "@config"));
  const std::string diff = identity_difference(was, feature_cache_identity(c));
  UNIAD_CHECK(diff.empty(), "it was started with another configuration (", diff, ")");
  const std::string extractor = f.attr_string("/", "extractor");
  UNIAD_CHECK(extractor == e.describe(), "it was started with another extractor (", extractor, ", now ",
              e.describe(), ")");
  UNIAD_CHECK(f.attr_string("/", "samples_fingerprint") == samples_fingerprint(d),
              "the data set's sample list changed since it was started (files added, removed or relabelled)");
  for (int i = 0; i < 2; ++i) {
    const std::string g = std::string("/") + layout::kSplits[i];
    const int64_t n = static_cast<int64_t>(samples_of(d, layout::kSplits[i]).size());
    UNIAD_CHECK(f.attr_int(g, "count") == n, g, " holds ", f.attr_int(g, "count"), " samples, the data set ", n);
    const Shape want = {n, e.channels(), e.grid(), e.grid()};
    UNIAD_CHECK(f.shape_of(g + "/features") == want, g, "/features has shape ", shape_str(f.shape_of(g + "/features")),
                ", expected ", shape_str(want));
    completed[i] = f.attr_int(g, "completed");
    UNIAD_CHECK(completed[i] >= 0 && completed[i] <= n, g, "@completed = ", completed[i], " is outside 0-", n);
  }
  return f;
}

// Checks one batch of extractor output: float32 [B, C, G, G], finite.
void check_batch(const Tensor& feats, const std::vector<DataSample>& samples, int64_t first, int64_t count,
                 const FeatureExtractor& e) {
  const Shape want = {count, e.channels(), e.grid(), e.grid()};
  UNIAD_CHECK(feats.defined() && feats.dtype() == DType::Float32 && feats.shape() == want,
              "feature extractor returned ", feats.defined() ? dtype_name(feats.dtype()) : "nothing", " ",
              feats.defined() ? shape_str(feats.shape()) : "", ", expected float32 ", shape_str(want));
  const Tensor c = feats.contiguous();
  const float* v = c.data<float>();
  const int64_t per = c.numel() / std::max<int64_t>(count, 1);
  for (int64_t i = 0; i < c.numel(); ++i)
    UNIAD_CHECK(std::isfinite(v[i]), "feature extractor returned a non-finite value for ",
                samples[first + i / per].image_path.empty() ? samples[first + i / per].file_name
                                                            : samples[first + i / per].image_path);
}

}  // namespace

FeatureCacheSummary build_feature_cache(const FeatureCacheConfig& config, const Dataset& dataset,
                                        FeatureExtractor& extractor, const std::string& out,
                                        const FeatureCacheOptions& options) {
  config.validate();
  UNIAD_CHECK(!out.empty(), "build_feature_cache: no output path (features.out or --out)");
  UNIAD_CHECK(extractor.channels() > 0 && extractor.grid() > 0, "build_feature_cache: extractor reports ",
              extractor.channels(), " channels and grid ", extractor.grid());
  const double start = now_seconds();
  const std::string partial = out + ".partial";
  if (fs::path(out).has_parent_path()) fs::create_directories(fs::path(out).parent_path());

  int64_t completed[2] = {0, 0};
  std::optional<h5::File> file;
  if (fs::exists(partial) && !options.restart) {
    try {
      file.emplace(open_partial(partial, config, dataset, extractor, completed));
    } catch (const std::exception& e) {  // h5 errors and json parse errors alike
      throw Error(cat(partial, ": cannot continue this partial feature cache: ", e.what(),
                      ". Delete it, or rerun with --restart to start over"));
    }
  } else {
    file.emplace(create_partial(partial, config, dataset, extractor));
  }
  h5::File& f = *file;

  FeatureCacheSummary sum;
  sum.path = out;
  sum.train = static_cast<int64_t>(dataset.train.size());
  sum.test = static_cast<int64_t>(dataset.test.size());
  sum.channels = extractor.channels();
  sum.grid = extractor.grid();
  sum.eval_size = config.data.eval_size;
  sum.resumed_from = completed[0] + completed[1];
  const int64_t total = sum.train + sum.test;
  int64_t done = sum.resumed_from;
  if (options.progress) options.progress(done, total);

  const int64_t batch = config.features.batch_size;
  for (int i = 0; i < 2; ++i) {
    const std::string split = layout::kSplits[i], g = "/" + split;
    const std::vector<DataSample>& samples = samples_of(dataset, split);
    const int64_t n = static_cast<int64_t>(samples.size());
    for (int64_t first = completed[i]; first < n; first += batch) {
      const int64_t count = std::min(batch, n - first);
      const double t0 = now_seconds();
      const Tensor images = load_image_batch(samples, first, count, config.data.input_size);  // [B, 3, S, S]
      std::vector<uint8_t> masks;  // [B, S', S']
      if (split == "test") masks = load_mask_batch(samples, first, count, config.data.eval_size);
      const double t1 = now_seconds();
      const Tensor feats = extractor.extract(images);  // [B, C, G, G]
      const double t2 = now_seconds();
      check_batch(feats, samples, first, count, extractor);
      f.write_rows(g + "/features", first, feats);
      if (split == "test") f.write_rows_u8(g + "/masks", first, count, masks.data());
      // Rows reach the disk before the counter that vouches for them.
      f.flush();
      f.set_attr(g, "completed", first + count);
      f.flush();
      sum.load_seconds += t1 - t0;
      sum.extract_seconds += t2 - t1;
      sum.write_seconds += now_seconds() - t2;
      sum.extracted += count;
      done += count;
      if (options.progress) options.progress(done, total);
    }
  }
  f.set_attr("/", "complete", int64_t{1});
  f.close();
  fs::rename(partial, out);  // atomic on one file system: OUT is complete or absent
  sum.file_bytes = static_cast<int64_t>(fs::file_size(out));
  sum.seconds = now_seconds() - start;
  return sum;
}

}  // namespace uniad::data

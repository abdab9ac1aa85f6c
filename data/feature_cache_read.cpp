// Reading the feature cache (the trainer's and the evaluator's side); writing is in feature_cache.cpp.
#include <algorithm>

#include "data/feature_cache.h"
#include "data/feature_cache_layout.h"
#include "tensor/hdf5_io.h"

namespace uniad::data {

using nlohmann::json;
namespace layout = cache_layout;

namespace {

// Every dataset a reader relies on; a file missing one is foreign, damaged or from an old layout.
const char* const kRequired[] = {"/class_names",     "/train/features", "/train/labels", "/train/class_ids",
                                 "/train/defects",   "/train/files",    "/train/paths",  "/test/features",
                                 "/test/labels",     "/test/class_ids", "/test/defects", "/test/files",
                                 "/test/paths",      "/test/masks"};

void require_datasets(const h5::File& f) {
  for (const char* name : kRequired)
    UNIAD_CHECK(f.exists(name), f.path(), ": ", name,
                ": missing dataset (not a feature cache written by `uniad features`, or a damaged one)");
}

json parse_attr(const h5::File& f, const char* name) {
  json j = json::parse(f.attr_string("/", name), nullptr, /*allow_exceptions=*/false);
  UNIAD_CHECK(!j.is_discarded(), f.path(), ": /@", name, ": not valid JSON");
  return j;
}

std::vector<int> read_ints(const h5::File& f, const std::string& path, int64_t n) {
  const Tensor t = f.read(path, DType::Int64, {n});
  const int64_t* v = t.data<int64_t>();
  return std::vector<int>(v, v + n);
}

std::vector<std::string> read_names(const h5::File& f, const std::string& path, int64_t n) {
  std::vector<std::string> names = f.read_strings(path);
  UNIAD_CHECK(static_cast<int64_t>(names.size()) == n, f.path(), ": ", path, ": ", names.size(),
              " entries, expected ", n);
  return names;
}

template <typename T>
std::vector<T> pick(const std::vector<T>& all, const std::vector<int64_t>& rows) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (int64_t r : rows) out.push_back(all[r]);
  return out;
}

// Calls fn(first, count, offset) for each run of consecutive rows: a class filter on a sorted
// cache selects a few long runs, each one HDF5 read.
template <typename Fn>
void for_each_run(const std::vector<int64_t>& rows, Fn&& fn) {
  size_t i = 0;
  while (i < rows.size()) {
    size_t j = i + 1;
    while (j < rows.size() && rows[j] == rows[j - 1] + 1) ++j;
    fn(rows[i], static_cast<int64_t>(j - i), static_cast<int64_t>(i));
    i = j;
  }
}

}  // namespace

FeatureCacheInfo read_feature_cache_info(const std::string& path) {
  const h5::File f = h5::File::open_read(path);
  require_datasets(f);
  UNIAD_CHECK(f.has_attr("/", "format") && f.attr_string("/", "format") == layout::kFormat, path,
              ": not a feature cache (the root has no format attribute '", layout::kFormat, "')");
  const int64_t version = f.attr_int("/", "format_version");
  UNIAD_CHECK(version == layout::kFormatVersion, path, ": feature cache format version ", version,
              "; this program reads version ", layout::kFormatVersion, " (rebuild it with `uniad features`)");
  FeatureCacheInfo info;
  info.path = path;
  info.complete = f.attr_int("/", "complete") == 1;
  info.train = f.attr_int("/train", "count");
  info.test = f.attr_int("/test", "count");
  UNIAD_CHECK(info.complete, path, ": incomplete feature cache (", f.attr_int("/train", "completed"), " of ",
              info.train, " train and ", f.attr_int("/test", "completed"), " of ", info.test,
              " test samples written); rerun `uniad features` with the same configuration to finish it");
  info.config = parse_attr(f, "config");
  info.extractor = parse_attr(f, "extractor");
  info.data = parse_attr(f, "data");
  info.preprocessing = parse_attr(f, "preprocessing");
  info.class_names = f.read_strings("/class_names");
  const Shape feats = f.shape_of("/train/features");
  const Shape masks = f.shape_of("/test/masks");
  UNIAD_CHECK(feats.size() == 4 && feats[0] == info.train && feats[2] == feats[3], path,
              ": /train/features has shape ", shape_str(feats), ", expected [", info.train, ", C, G, G]");
  UNIAD_CHECK(masks.size() == 3 && masks[0] == info.test, path, ": /test/masks has shape ", shape_str(masks),
              ", expected [", info.test, ", S, S]");
  info.channels = feats[1];
  info.grid = feats[2];
  info.eval_size = masks[1];
  return info;
}

FeatureSplit read_feature_split(const std::string& path, const std::string& split,
                                const std::vector<std::string>& classes) {
  UNIAD_CHECK(split == "train" || split == "test", "read_feature_split: ", path, ": unknown split '", split,
              "' (choose train or test)");
  const FeatureCacheInfo info = read_feature_cache_info(path);
  const h5::File f = h5::File::open_read(path);
  const std::string g = "/" + split;
  const int64_t n = split == "train" ? info.train : info.test;

  // Which classes to keep, by id; an unknown name lists the file's classes.
  std::vector<bool> keep(info.class_names.size(), classes.empty());
  for (const std::string& name : classes) {
    const auto it = std::find(info.class_names.begin(), info.class_names.end(), name);
    if (it == info.class_names.end()) {
      std::string known;
      for (const std::string& c : info.class_names) known += (known.empty() ? "" : ", ") + c;
      throw Error(cat(path, ": no class '", name, "' in the cache; its classes: ", known));
    }
    keep[it - info.class_names.begin()] = true;
  }

  FeatureSplit out;
  out.split = split;
  out.class_names = info.class_names;
  const std::vector<int> all_ids = read_ints(f, g + "/class_ids", n);
  for (int64_t r = 0; r < n; ++r) {
    UNIAD_CHECK(all_ids[r] >= 0 && all_ids[r] < static_cast<int>(keep.size()), path, ": ", g, "/class_ids[", r,
                "] = ", all_ids[r], " is not a class index (", keep.size(), " classes)");
    if (keep[all_ids[r]]) out.rows.push_back(r);
  }
  const int64_t m = static_cast<int64_t>(out.rows.size());
  out.class_ids = pick(all_ids, out.rows);
  out.labels = pick(read_ints(f, g + "/labels", n), out.rows);
  out.defects = pick(read_names(f, g + "/defects", n), out.rows);
  out.files = pick(read_names(f, g + "/files", n), out.rows);
  out.paths = pick(read_names(f, g + "/paths", n), out.rows);

  out.features = Tensor::empty({m, info.channels, info.grid, info.grid}, DType::Float32);  // [N, C, G, G]
  for_each_run(out.rows, [&](int64_t first, int64_t count, int64_t at) {
    Tensor part = out.features.slice(0, at, at + count);  // a contiguous view: rows are outermost
    f.read_rows_into(g + "/features", first, part);
  });
  if (split == "test") {
    out.mask_size = info.eval_size;
    const size_t per_mask = size_t(info.eval_size) * info.eval_size;
    out.masks.resize(out.rows.size() * per_mask);  // [N, S', S']
    for_each_run(out.rows, [&](int64_t first, int64_t count, int64_t at) {
      const std::vector<uint8_t> part = f.read_rows_u8(g + "/masks", first, count);
      std::copy(part.begin(), part.end(), out.masks.begin() + at * per_mask);
    });
  }
  return out;
}

}  // namespace uniad::data

#pragma once
// The feature cache: the frozen backbone run once over a data set, its output kept in one HDF5
// file that training and evaluation read instead of images (docs/feature_cache.md has the full
// layout). Dimension letters: N samples of a split, C feature channels, G token-grid side,
// S' the evaluation (mask) size.
//
//   /                  attributes: format, format_version, complete, config, extractor, data,
//                      preprocessing, samples_fingerprint
//   /class_names       string [K]
//   /{train,test}/     attributes: count (N), completed (samples written so far)
//       features       float32 [N, C, G, G]   chunked, one chunk per batch
//       labels         int64 [N]              0 normal, 1 anomalous
//       class_ids      int64 [N]              index into /class_names
//       defects, files, paths   string [N]
//   /test/masks        uint8 [N, S', S']      0 / 1, chunked and deflate-compressed
//
// Writing is resumable. The file is written as OUT.partial; after each batch its rows are
// flushed and then `completed` is updated and flushed, so a run stopped at any point (error,
// Ctrl-C, power loss after a flush) leaves a partial file that a rerun with the same
// configuration continues from the last completed batch. At the end `complete` is set to 1 and
// the file is renamed to OUT. A partial file made with another configuration (any key but
// features.out and features.threads), another extractor or another sample list is refused with
// a message naming the difference, as is an unreadable one; options.restart starts over.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset_source.h"
#include "data/feature_config.h"
#include "data/feature_extractor.h"
#include "tensor/tensor.h"

namespace uniad::data {

// Progress of long work: `done` of `total` units so far. Called before the first unit (done may
// be > 0 when resuming) and after each batch. It may throw to stop the work.
using ProgressFn = std::function<void(int64_t done, int64_t total)>;

struct FeatureCacheOptions {
  bool restart = false;  // discard an existing OUT.partial instead of continuing it
  ProgressFn progress;   // over train + test samples together
};

struct FeatureCacheSummary {
  std::string path;              // OUT
  int64_t train = 0, test = 0;   // samples per split
  int64_t channels = 0, grid = 0, eval_size = 0;
  int64_t resumed_from = 0;      // samples found already done in a partial file
  int64_t extracted = 0;         // samples run through the extractor by this call
  double seconds = 0;            // wall time of this call
  double load_seconds = 0;       // of which decoding and resizing images and masks
  double extract_seconds = 0;    // inside extractor.extract()
  double write_seconds = 0;      // writing and flushing the HDF5 file
  int64_t file_bytes = 0;
};

// Runs `extractor` over `dataset` (train, then test) as `config` says and writes the cache to
// `out`. The extractor is a parameter so that tests can pass a fake; the CLI passes
// make_feature_extractor(config.extractor_config()).
FeatureCacheSummary build_feature_cache(const FeatureCacheConfig& config, const Dataset& dataset,
                                        FeatureExtractor& extractor, const std::string& out,
                                        const FeatureCacheOptions& options = {});

// ---- reading ----
struct FeatureCacheInfo {
  std::string path;
  nlohmann::json config, extractor, data, preprocessing;  // as written
  std::vector<std::string> class_names;
  int64_t train = 0, test = 0;              // samples per split
  int64_t channels = 0, grid = 0, eval_size = 0;
  bool complete = false;
};

struct FeatureSplit {
  std::string split;                      // "train" or "test"
  Tensor features;                        // float32 [N, C, G, G]
  std::vector<int64_t> rows;              // the file rows read (a class filter skips some)
  std::vector<int> labels;                // [N] 0 normal, 1 anomalous
  std::vector<int> class_ids;             // [N] index into class_names
  std::vector<std::string> class_names;   // every class of the file
  std::vector<std::string> defects, files, paths;  // [N]
  int64_t mask_size = 0;                  // S'; 0 for the train split
  std::vector<uint8_t> masks;             // test: [N, S', S'] of 0 / 1; train: empty
};

// The header of a cache (attributes and sizes); reads no features. Errors name the file and the
// missing dataset or attribute; a file that is not complete (a .partial) is refused.
FeatureCacheInfo read_feature_cache_info(const std::string& path);

// One split, restricted to the named classes (all when empty; an unknown name is an error that
// lists the file's classes).
FeatureSplit read_feature_split(const std::string& path, const std::string& split,
                                const std::vector<std::string>& classes = {});

}  // namespace uniad::data

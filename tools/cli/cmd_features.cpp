// uniad features --config FILE [--set section.key=value ...] [--out PATH] [--restart]
//
// Runs the frozen backbone once over a data set and writes the feature cache (one HDF5 file with
// the train and test splits; docs/feature_cache.md). The work is data/feature_cache.h's; this
// file only reads the options, shows progress and prints the summary.
#include <omp.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "data/feature_cache.h"
#include "data/feature_config.h"
#include "data/feature_extractor.h"
#include "tensor/error.h"
#include "tools/cli/commands.h"
#include "tools/cli/progress.h"

namespace uniad::cli {

namespace {

// --out, else features.out, else .cache/features/<config file name>.h5.
std::string output_path(const FeaturesOptions& o, const data::FeatureCacheConfig& c) {
  if (!o.out.empty()) return o.out;
  if (!c.features.out.empty()) return c.features.out;
  return (std::filesystem::path(".cache") / "features" / std::filesystem::path(o.config).stem()).string() + ".h5";
}

std::string megabytes(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", double(bytes) / 1e6);
  return buf;
}

}  // namespace

std::string run_features(const FeaturesOptions& o) {
  const data::FeatureCacheConfig config = data::load_feature_cache_config(o.config, o.overrides);
  const std::string out = output_path(o, config);
  if (config.features.threads > 0) omp_set_num_threads(config.features.threads);

  const data::Dataset dataset = data::open_configured_dataset(config.data);
  std::fprintf(stderr, "data: %s %s: %zu classes, %zu train and %zu test samples\n", dataset.kind.c_str(),
               dataset.root.c_str(), dataset.class_names.size(), dataset.train.size(), dataset.test.size());
  std::unique_ptr<data::FeatureExtractor> extractor = data::make_feature_extractor(config.extractor_config());
  std::fprintf(stderr, "extractor: %s\n", extractor->describe().c_str());

  ProgressBar bar("features", "img");
  data::FeatureCacheOptions options;
  options.restart = o.restart;
  options.progress = bar.callback();
  const data::FeatureCacheSummary s = data::build_feature_cache(config, dataset, *extractor, out, options);
  bar.finish();

  const double rate = s.seconds > 0 ? double(s.extracted) / s.seconds : 0.0;
  std::printf("wrote %s (%s)\n", s.path.c_str(), megabytes(s.file_bytes).c_str());
  std::printf("  train  %6lld samples  features [%lld, %lld, %lld, %lld]\n", (long long)s.train, (long long)s.train,
              (long long)s.channels, (long long)s.grid, (long long)s.grid);
  std::printf("  test   %6lld samples  features [%lld, %lld, %lld, %lld]  masks [%lld, %lld, %lld]\n",
              (long long)s.test, (long long)s.test, (long long)s.channels, (long long)s.grid, (long long)s.grid,
              (long long)s.test, (long long)s.eval_size, (long long)s.eval_size);
  auto share = [&](double part) { return s.seconds > 0 ? 100.0 * part / s.seconds : 0.0; };
  std::printf("  extracted %lld samples in %s (%.1f images/s; time: loading %.0f%%, extractor %.0f%%, writing %.0f%%)",
              (long long)s.extracted, format_duration(s.seconds).c_str(), rate, share(s.load_seconds),
              share(s.extract_seconds), share(s.write_seconds));
  if (s.resumed_from > 0) std::printf("; %lld were already in the partial file", (long long)s.resumed_from);
  std::printf("\n");
  return s.path;
}

void add_features(CLI::App& parent) {
  auto opts = std::make_shared<FeaturesOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "features",
      "Run the frozen backbone once over a data set and cache its features (train and test) in one HDF5 file. "
      "Resumable: an interrupted run leaves OUT.partial, which a rerun with the same configuration continues.");
  cmd->add_option("--config", opts->config, "JSON configuration (sections data, backbone, features; "
                                            "see docs/feature_cache.md)")
      ->required();
  cmd->add_option("--set", opts->overrides, "Override a key: section.key=value, e.g. features.batch_size=32 "
                                            "or data.classes=bottle,cable (repeatable)");
  cmd->add_option("--out", opts->out, "Output file (default: features.out, else .cache/features/<config name>.h5)");
  cmd->add_option_function<std::string>(
      "--device",
      [](const std::string& d) {
        // The backbones' fused kernels (data/mbconv.cpp, data/feature_extractor.cpp) are CPU loops;
        // the features are computed once per data set and cached, so the GPU buys little here.
        UNIAD_CHECK(parse_device(d).is_cpu(), "features --device ", d, ": feature extraction runs on the CPU only; "
                    "train, eval, predict, inspect and ablate take --device cuda");
      },
      "Only cpu: the backbones run on the CPU (features are computed once and cached)");
  cmd->add_flag("--restart", opts->restart, "Discard an existing OUT.partial instead of continuing it");
  cmd->callback([opts] { run_features(*opts); });
}

}  // namespace uniad::cli

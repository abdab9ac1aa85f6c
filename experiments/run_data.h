#pragma once
// The data of a run as the commands and the experiments find it: a checkpoint's configuration,
// a split of the feature cache restricted to data.classes (standardised when data.standardize)
// and checked against the model's input size, and the identical-shortcut probe of a run.
#include <string>
#include <vector>

#include "data/feature_cache.h"
#include "uniad/config_io.h"
#include "uniad/feature_norm.h"
#include "uniad/shortcut_lab.h"

namespace uniad {

// A checkpoint's configuration with `--set` overrides applied on top, validated; errors name
// the checkpoint.
RunConfig checkpoint_config(const std::string& checkpoint, const std::vector<std::string>& overrides);

// "a,b" -> {"a", "b"}; "" -> {} (all classes).
std::vector<std::string> split_classes(const std::string& list);

// Reads one split of the run's cache (standardised when data.standardize, with statistics of
// the cache's train split of the run's classes) and checks that its [N, C, G, G] fits the model
// (feature_channels, grid_h, grid_w); a mismatch names the file, the keys and both shapes.
data::FeatureSplit read_run_split(const RunConfig& config, const std::string& path, const std::string& split);

// The data.standardize statistics of a run: fitted on the raw train split of its classes.
FeatureStandardizer run_standardizer(const RunConfig& config, const std::string& path);

// The identical-shortcut probe of a run (uniad/shortcut_lab.h): the trainer's held-out normal
// images, the test split, and the normal training images of the cache's other classes (read and
// standardised as the run's own), each OOD set subsampled to 256 images. Prints what it holds.
ShortcutProbe make_run_probe(const RunConfig& config, const std::string& cache, const data::FeatureSplit& train,
                             const data::FeatureSplit& test);

class Trainer;

// The per-epoch diagnostics a run's configuration asks for, installed as trainer.on_epoch:
// train.track_test_every (test metrics, "test" lines of log.jsonl) and train.shortcut_every (the
// identical-shortcut lab, "shortcut" lines). Reads the test split and builds the probe first;
// a no-op when both are 0.
void install_epoch_diagnostics(Trainer& trainer, const RunConfig& config, const std::string& cache,
                               const data::FeatureSplit& train);

}  // namespace uniad

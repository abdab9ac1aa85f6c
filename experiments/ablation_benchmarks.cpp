#include "experiments/ablation_benchmarks.h"

#include "experiments/find_named.h"

namespace uniad {

namespace {

// The paper's reconstruction model and MVTec schedule (../shared/spec/UNIAD.md).
const std::vector<std::string> kPaperModel = {
    "model.hidden_dim=256", "model.heads=8",        "model.encoder_layers=4", "model.decoder_layers=4",
    "model.ffn_dim=1024",   "model.dropout=0.1",    "train.batch_size=8",     "train.lr=1e-4",
    "train.schedule=step",  "train.step_epochs=800", "train.epochs=1000",     "train.max_minutes=0"};

// The CPU presets: the main job's model (configs/textures.json) at half width, six epochs
// instead of forty, no validation (the final weights are measured).
const std::vector<std::string> kCpuModel = {"model.hidden_dim=64", "model.ffn_dim=256", "train.epochs=6",
                                            "train.max_minutes=0", "train.val_every=0"};

AblationBenchmark textures() {
  AblationBenchmark b{"textures", "configs/textures.json",
                      "the embedded texture benchmark, 17 classes trained together (docs/textures.md)", {}};
  AblationDataset all{"textures", {}, "configs/textures_features.json", {}, 1224, 1190};
  b.presets.push_back({"cpu", "the main job's model at half width (64, 2 + 2 layers), 6 epochs, 2 seeds: "
                       "about a minute per run on one core", {0, 1}, kCpuModel, 1, {all}});
  std::vector<std::string> full = kPaperModel;
  full.push_back("train.val_every=10");
  b.presets.push_back({"full", "the paper's model and schedule (1000 epochs), 3 seeds", {0, 1, 2}, full, 50, {all}});
  return b;
}

AblationBenchmark fashion_mnist() {
  AblationBenchmark b{"fashion-mnist", "configs/fashion_mnist.json",
                      "Fashion-MNIST under the paper's CIFAR-10 unified protocol: 5 normal classes, 4 splits", {}};
  auto split = [](const std::string& s, const std::string& tag, int train_per_class, int test_per_class,
                  int64_t train_images, int64_t test_images) {
    const std::string cache = ".cache/features/fashion_mnist_" + s + tag + "_mobilenet_v2.h5";
    AblationDataset d{"fmnist-" + s, {"data.features=" + cache}, "configs/fashion_mnist_features.json",
                      {"data.split=" + s, "features.out=" + cache}, train_images, test_images};
    if (train_per_class > 0) d.features_overrides.push_back("data.train_per_class=" + std::to_string(train_per_class));
    if (test_per_class > 0) d.features_overrides.push_back("data.test_per_class=" + std::to_string(test_per_class));
    return d;
  };
  // 300 training images need more epochs than the textures' 1,224 to train at all: at 6 epochs
  // (100 steps) the anomaly score is still the features' own size (docs/ablations.md).
  AblationPreset cpu{"cpu", "60 training and 100 test images per class, the main job's model at half width, "
                     "24 epochs, 1 seed per split: one to two minutes per run on one core", {0}, kCpuModel, 4, {}};
  cpu.overrides.push_back("train.epochs=24");
  AblationPreset full{"full", "all images, the paper's model and schedule (1000 epochs), 3 seeds per split",
                      {0, 1, 2}, kPaperModel, 50, {}};
  full.overrides.push_back("train.val_fraction=0.05");
  full.overrides.push_back("train.val_every=10");
  for (const char* s : {"01234", "02468", "13579", "56789"}) {
    cpu.datasets.push_back(split(s, "_cpu", 60, 100, 270, 1000));
    full.datasets.push_back(split(s, "", 0, 0, 28500, 10000));
  }
  b.presets = {cpu, full};
  return b;
}

}  // namespace

const std::vector<AblationBenchmark>& ablation_benchmarks() {
  static const std::vector<AblationBenchmark> all = {textures(), fashion_mnist()};
  return all;
}

const AblationBenchmark& find_ablation_benchmark(const std::string& name) {
  return find_named(ablation_benchmarks(), name, "--benchmark");
}

const AblationPreset& find_ablation_preset(const AblationBenchmark& benchmark, const std::string& name) {
  return find_named(benchmark.presets, name, "--preset (benchmark " + benchmark.name + ")");
}

}  // namespace uniad

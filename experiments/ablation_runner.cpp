#include "experiments/ablation_runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "experiments/run_data.h"
#include "tensor/error.h"
#include "tensor/text_file.h"
#include "uniad/evaluate.h"

namespace uniad {

namespace fs = std::filesystem;

namespace {

bool wanted(const std::vector<std::string>& filter, const std::string& name) {
  return filter.empty() || std::find(filter.begin(), filter.end(), name) != filter.end();
}

// A filter entry that names nothing is a typo: say what exists.
template <typename Item>
void check_filter(const std::vector<std::string>& filter, const std::vector<Item>& items, const char* option) {
  for (const std::string& f : filter) {
    std::string known;
    bool found = false;
    for (const Item& item : items) {
      found = found || item.name == f;
      known += (known.empty() ? "" : ", ") + item.name;
    }
    UNIAD_CHECK(found, option, ": no '", f, "' here (choose from ", known, ")");
  }
}

double json_number(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : std::numeric_limits<double>::quiet_NaN();
}

// Folder names from class names ("T-shirt/top" -> "T-shirt_top").
std::string folder_name(std::string name) {
  for (char& c : name)
    if (c == '/' || c == ' ' || c == '\\') c = '_';
  return name;
}

// A fresh cell: the files of an earlier, unfinished attempt would mix into the log.
void clear_run_dir(const std::string& dir) {
  if (fs::exists(dir)) fs::remove_all(dir);
  fs::create_directories(dir);
}

struct TrainedModel {
  std::unique_ptr<Trainer> trainer;
  TrainResult result;
};

TrainedModel train_one(const RunConfig& config, const std::string& cache, const std::string& run_dir,
                       const AblationStepFn& on_step, int64_t index, int64_t models) {
  const data::FeatureSplit train = read_run_split(config, cache, "train");
  TrainedModel m;
  m.trainer = std::make_unique<Trainer>(config, run_dir);
  if (on_step) m.trainer->on_step = [&](const StepReport& r) { on_step(r, index, models); };
  install_epoch_diagnostics(*m.trainer, config, cache, train);
  m.result = m.trainer->fit(train.features);
  m.trainer->on_step = nullptr;
  m.trainer->on_epoch = nullptr;  // it refers to this function's locals
  m.trainer->model().eval();       // measured as trained: no jitter, no dropout
  return m;
}

// Per-class variant, scored: on a one-class-vs-rest split each image gets its lowest score over
// the class models (no label is used: any model that finds it normal vouches for it); otherwise
// each class's test images are scored by that class's model only.
ScoredSplit score_per_class(const AblationCell& cell, const std::string& cache, const std::vector<std::string>& classes,
                            const std::vector<TrainedModel>& models, const data::FeatureSplit& all_test) {
  const RunConfig& base = cell.config;
  const bool pooled = is_one_class_vs_rest(all_test);
  ScoredSplit out;
  out.count = all_test.features.size(0);
  out.size = all_test.mask_size;
  const int64_t px = out.size * out.size;
  out.maps.assign(static_cast<size_t>(out.count * px), 0.f);
  out.image_scores.assign(static_cast<size_t>(out.count), pooled ? INFINITY : NAN);
  for (size_t k = 0; k < classes.size(); ++k) {
    RunConfig config = base;
    config.data.classes = classes[k];
    data::FeatureSplit test;
    if (pooled) {  // every model scores the whole split: raw features are the run's own test split
      test = all_test;
      if (config.data.standardize)
        test.features = run_standardizer(config, cache).apply(data::read_feature_split(cache, "test").features);
    } else {
      test = read_run_split(config, cache, "test");
    }
    const ScoredSplit s =
        score_features(test.features, reconstruction_map(models[k].trainer->model()), test.mask_size, config.eval);
    for (size_t i = 0; i < test.rows.size(); ++i) {
      const int64_t row = test.rows[i];
      if (pooled && !(s.image_scores[i] < out.image_scores[row])) continue;
      out.image_scores[row] = s.image_scores[i];
      std::copy(s.maps.begin() + i * px, s.maps.begin() + (i + 1) * px, out.maps.begin() + row * px);
    }
  }
  return out;
}

// The part of a configuration that decides what is trained and measured.
nlohmann::json training_identity(const RunConfig& config, bool per_class) {
  nlohmann::json j = to_json(config);
  j["train"].erase("shortcut_every");
  j["train"].erase("track_test_every");
  j["per_class"] = per_class;
  return j;
}

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  UNIAD_CHECK(!j.is_discarded(), path, ": not valid JSON; delete it to run the cell again");
  return j;
}

}  // namespace

std::optional<std::string> find_equivalent_run(const AblationCell& cell, const std::string& root) {
  if (!fs::is_directory(root)) return std::nullopt;
  const nlohmann::json want = training_identity(cell.config, cell.variant->per_class);
  const fs::path own = fs::path(cell.run_dir).lexically_normal();
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(root)) {
    if (e.path().filename() != "result.json" || e.path().parent_path().lexically_normal() == own) continue;
    std::ifstream in(e.path());
    const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.contains("config") || !j.contains("result") || j.contains("reused_from")) continue;
    if (!j["result"].contains("per_class") || !j["result"]["per_class"].is_boolean()) continue;
    try {  // a result of another format is simply not a match
      const RunConfig other = run_config_from_json(j["config"], e.path().string());
      if (training_identity(other, j["result"]["per_class"].get<bool>()) == want) return e.path().parent_path().string();
    } catch (const Error&) {
    }
  }
  return std::nullopt;
}

AblationResult reuse_ablation_result(const AblationCell& cell, const std::string& from_run_dir) {
  nlohmann::json j = read_json_file(from_run_dir + "/result.json");
  AblationResult r = ablation_result_from_json(j["result"], from_run_dir + "/result.json");
  r.dataset = cell.dataset->name;
  r.variant = cell.variant->name;
  fs::create_directories(cell.run_dir);
  j["result"] = to_json(r);
  j["result"]["per_class"] = cell.variant->per_class;
  j["reused_from"] = from_run_dir;
  write_text_file_atomically(cell.run_dir + "/result.json", j.dump(2) + "\n");
  return r;
}

AblationPlan plan_ablation(const AblationSuite& suite, const AblationBenchmark& benchmark, const AblationPreset& preset,
                           const std::string& out_dir, const AblationFilter& filter) {
  check_filter(filter.variants, suite.variants, "--variants");
  check_filter(filter.datasets, preset.datasets, "--datasets");
  AblationPlan plan{&suite, &benchmark, &preset, out_dir, {}};
  const std::vector<uint64_t> seeds = filter.seeds.empty() ? preset.seeds : filter.seeds;
  for (const AblationDataset& dataset : preset.datasets) {
    if (!wanted(filter.datasets, dataset.name)) continue;
    for (const AblationVariant& variant : suite.variants) {
      if (!wanted(filter.variants, variant.name)) continue;
      for (uint64_t seed : seeds) {
        std::vector<std::string> o = preset.overrides;
        o.insert(o.end(), dataset.run_overrides.begin(), dataset.run_overrides.end());
        if (suite.lab || variant.lab) o.push_back("train.shortcut_every=" + std::to_string(preset.lab_every));
        o.insert(o.end(), variant.overrides.begin(), variant.overrides.end());
        o.push_back("train.seed=" + std::to_string(seed));
        o.insert(o.end(), filter.overrides.begin(), filter.overrides.end());
        AblationCell cell{&dataset, &variant, seed, {}, ""};
        cell.run_dir = (fs::path(out_dir) / "runs" / dataset.name / variant.name / ("seed" + std::to_string(seed))).string();
        try {
          cell.config = load_run_config(benchmark.run_config, o);
        } catch (const Error& e) {
          throw Error(cat(suite.name, " suite, ", dataset.name, " / ", variant.name, " / seed ", seed, ": ", e.what()));
        }
        plan.cells.push_back(std::move(cell));
      }
    }
  }
  UNIAD_CHECK(!plan.cells.empty(), "the ", suite.name, " suite has no cell left after --variants / --datasets / --seeds");
  return plan;
}

nlohmann::json to_json(const AblationResult& r) {
  auto num = [](double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); };
  return {{"dataset", r.dataset},         {"variant", r.variant},          {"seed", r.seed},
          {"image_auroc", num(r.image_auroc)}, {"pixel_auroc", num(r.pixel_auroc)}, {"pixel_aupro", num(r.pixel_aupro)},
          {"models", r.models},           {"epochs", r.epochs},            {"train_seconds", r.train_seconds},
          {"last_loss", num(r.last_loss)}};
}

AblationResult ablation_result_from_json(const nlohmann::json& j, const std::string& source) {
  UNIAD_CHECK(j.is_object(), source, ": no \"result\" object");
  try {
    AblationResult r;
    r.dataset = j.at("dataset").get<std::string>();
    r.variant = j.at("variant").get<std::string>();
    r.seed = j.at("seed").get<uint64_t>();
    r.image_auroc = json_number(j, "image_auroc");
    r.pixel_auroc = json_number(j, "pixel_auroc");
    r.pixel_aupro = json_number(j, "pixel_aupro");
    r.models = j.at("models").get<int64_t>();
    r.epochs = j.at("epochs").get<int64_t>();
    r.train_seconds = j.at("train_seconds").get<double>();
    r.last_loss = json_number(j, "last_loss");
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw Error(cat(source, ": not an ablation result (", e.what(), ")"));
  }
}

std::optional<AblationResult> read_ablation_result(const std::string& run_dir) {
  const std::string path = run_dir + "/result.json";
  if (!fs::exists(path)) return std::nullopt;
  const nlohmann::json j = read_json_file(path);
  UNIAD_CHECK(j.contains("result"), path, ": no \"result\" object; delete it to run the cell again");
  return ablation_result_from_json(j["result"], path);
}

AblationResult run_ablation_cell(const AblationCell& cell, const AblationStepFn& on_step) {
  const std::string& cache = cell.config.data.features;
  clear_run_dir(cell.run_dir);
  const auto start = std::chrono::steady_clock::now();
  AblationResult r{cell.dataset->name, cell.variant->name, cell.seed};
  const data::FeatureSplit test = read_run_split(cell.config, cache, "test");
  ScoredSplit scored;
  if (!cell.variant->per_class) {
    TrainedModel m = train_one(cell.config, cache, cell.run_dir, on_step, 0, 1);
    r.epochs = m.result.epochs_completed;
    r.last_loss = m.result.last_loss;
    scored = score_features(test.features, reconstruction_map(m.trainer->model()), test.mask_size, cell.config.eval);
  } else {
    std::vector<std::string> classes;  // the classes that have normal training images
    const data::FeatureSplit train = read_run_split(cell.config, cache, "train");
    for (int id : train.class_ids)
      if (std::find(classes.begin(), classes.end(), train.class_names[id]) == classes.end())
        classes.push_back(train.class_names[id]);
    std::vector<TrainedModel> models;
    double loss_sum = 0;
    for (size_t k = 0; k < classes.size(); ++k) {
      RunConfig config = cell.config;
      config.data.classes = classes[k];
      models.push_back(train_one(config, cache, cell.run_dir + "/" + folder_name(classes[k]), on_step,
                                 static_cast<int64_t>(k), static_cast<int64_t>(classes.size())));
      loss_sum += models.back().result.last_loss;
      r.epochs = models.back().result.epochs_completed;
    }
    r.models = static_cast<int64_t>(classes.size());
    r.last_loss = loss_sum / static_cast<double>(classes.size());
    scored = score_per_class(cell, cache, classes, models, test);
  }
  r.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const EvaluationReport report = evaluate_split(test, scored);
  r.image_auroc = report.mean.image.auroc;
  if (report.has_pixel) {
    r.pixel_auroc = report.mean.pixel.auroc;
    r.pixel_aupro = report.mean.aupro;
  }
  nlohmann::json doc = {{"result", to_json(r)}, {"metrics", to_json(report)}, {"config", to_json(cell.config)}};
  doc["result"]["per_class"] = cell.variant->per_class;
  write_text_file_atomically(cell.run_dir + "/result.json", doc.dump(2) + "\n");
  return r;
}

}  // namespace uniad

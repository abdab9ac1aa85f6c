#include "uniad/config_io.h"

#include <fstream>
#include <set>

#include "tensor/config_json.h"
#include "tensor/error.h"

namespace uniad {

using nlohmann::json;

namespace {

// Lists every configurable field once, as (section, key, reference). Reading, writing and the
// unknown-key check all walk this one list, so a new field is added in one place.
template <typename Visit>
void visit_fields(RunConfig& c, Visit&& visit) {
  ModelConfig& m = c.model;
  visit("model", "feature_channels", m.feature_channels);
  visit("model", "grid_h", m.grid_h);
  visit("model", "grid_w", m.grid_w);
  visit("model", "hidden_dim", m.hidden_dim);
  visit("model", "heads", m.heads);
  visit("model", "encoder_layers", m.encoder_layers);
  visit("model", "decoder_layers", m.decoder_layers);
  visit("model", "ffn_dim", m.ffn_dim);
  visit("model", "dropout", m.dropout);
  visit("model", "learned_pos_embed", m.learned_pos_embed);
  visit("model", "mask_encoder", m.mask_encoder);
  visit("model", "mask_decoder1", m.mask_decoder1);
  visit("model", "mask_decoder2", m.mask_decoder2);
  visit("model", "mask_window", m.mask_window);
  visit("model", "jitter_scale", m.jitter_scale);
  visit("model", "jitter_prob", m.jitter_prob);
  TrainConfig& t = c.train;
  visit("train", "seed", t.seed);
  visit("train", "epochs", t.epochs);
  visit("train", "batch_size", t.batch_size);
  visit("train", "lr", t.lr);
  visit("train", "beta1", t.beta1);
  visit("train", "beta2", t.beta2);
  visit("train", "adam_eps", t.adam_eps);
  visit("train", "weight_decay", t.weight_decay);
  visit("train", "clip_norm", t.clip_norm);
  visit("train", "schedule", t.schedule);
  visit("train", "step_epochs", t.step_epochs);
  visit("train", "gamma", t.gamma);
  visit("train", "warmup_epochs", t.warmup_epochs);
  visit("train", "min_lr", t.min_lr);
  visit("train", "val_fraction", t.val_fraction);
  visit("train", "val_every", t.val_every);
  visit("train", "max_minutes", t.max_minutes);
  visit("train", "threads", t.threads);
  visit("train", "device", t.device);
  visit("train", "matmul_precision", t.matmul_precision);
  visit("train", "track_test_every", t.track_test_every);
  visit("train", "shortcut_every", t.shortcut_every);
  DataConfig& d = c.data;
  visit("data", "features", d.features);
  visit("data", "features_config", d.features_config);
  visit("data", "classes", d.classes);
  visit("data", "standardize", d.standardize);
  EvalConfig& e = c.eval;
  visit("eval", "image_score", e.image_score);
  visit("eval", "pool", e.pool);
  visit("eval", "map_sigma", e.map_sigma);
  visit("eval", "batch_size", e.batch_size);
  visit("eval", "baseline", e.baseline);
  visit("eval", "baseline_tokens", e.baseline_tokens);
  visit("eval", "heatmaps_per_class", e.heatmaps_per_class);
  visit("eval", "threshold_quantile", e.threshold_quantile);
}

const char* json_type_name(const json& v) { return v.type_name(); }

template <typename T>
void read_value(const json& v, T& out, const std::string& where) {
  if constexpr (std::is_same_v<T, bool>) {
    UNIAD_CHECK(v.is_boolean(), where, ": expected true or false, got ", json_type_name(v), " ", v.dump());
    out = v.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    UNIAD_CHECK(v.is_number_integer(), where, ": expected an integer, got ", json_type_name(v), " ", v.dump());
    out = v.get<T>();
  } else if constexpr (std::is_floating_point_v<T>) {
    UNIAD_CHECK(v.is_number(), where, ": expected a number, got ", json_type_name(v), " ", v.dump());
    out = v.get<T>();
  } else {
    UNIAD_CHECK(v.is_string(), where, ": expected a string, got ", json_type_name(v), " ", v.dump());
    out = v.get<std::string>();
  }
}

}  // namespace

json to_json(const RunConfig& config) {
  RunConfig copy = config;
  json j;
  j["model"]["network"] = network_kind_name(copy.model.network);
  visit_fields(copy, [&](const char* section, const char* key, auto& value) { j[section][key] = value; });
  return j;
}

RunConfig run_config_from_json(const json& j, const std::string& source) {
  UNIAD_CHECK(j.is_object(), source, ": the configuration must be a JSON object, got ", json_type_name(j));
  RunConfig c;
  std::set<std::string> known = {"model.network"};
  visit_fields(c, [&](const char* section, const char* key, auto&) { known.insert(std::string(section) + "." + key); });
  for (const auto& [section, body] : j.items()) {
    UNIAD_CHECK(section == "model" || section == "train" || section == "data" || section == "eval", source,
                ": unknown section '", section, "' (expected model, train, data and eval)");
    UNIAD_CHECK(body.is_object(), source, ": section '", section, "' must be an object");
    for (const auto& [key, _] : body.items())
      UNIAD_CHECK(known.count(section + "." + key), source, ": unknown key '", section, ".", key, "'");
  }
  if (j.contains("model") && j["model"].contains("network")) {
    std::string name;
    read_value(j["model"]["network"], name, source + ": model.network");
    c.model.network = parse_network_kind(name);
  }
  visit_fields(c, [&](const char* section, const char* key, auto& value) {
    if (j.contains(section) && j[section].contains(key))
      read_value(j[section][key], value, source + ": " + section + "." + key);
  });
  return c;
}

void EvalConfig::validate() const {
  UNIAD_CHECK(image_score == "max_avg_pool" || image_score == "mean" || image_score == "std",
              "eval.image_score must be max_avg_pool, mean or std, got '", image_score, "'");
  UNIAD_CHECK(pool >= 1, "eval.pool must be >= 1, got ", pool);
  UNIAD_CHECK(map_sigma >= 0 && map_sigma <= 8, "eval.map_sigma must be in [0, 8] tokens, got ", map_sigma);
  UNIAD_CHECK(batch_size >= 1, "eval.batch_size must be >= 1, got ", batch_size);
  UNIAD_CHECK(baseline_tokens >= 0, "eval.baseline_tokens must be >= 0, got ", baseline_tokens);
  UNIAD_CHECK(heatmaps_per_class >= 0, "eval.heatmaps_per_class must be >= 0, got ", heatmaps_per_class);
  UNIAD_CHECK(threshold_quantile > 0 && threshold_quantile <= 1, "eval.threshold_quantile must be in (0, 1], got ",
              threshold_quantile);
}

void apply_override(json& j, const std::string& assignment) { apply_json_override(j, assignment); }

RunConfig load_run_config(const std::string& path, const std::vector<std::string>& overrides) {
  json j = json::object();
  if (!path.empty()) {
    std::ifstream in(path);
    UNIAD_CHECK(in.good(), path, ": cannot open the configuration file");
    j = json::parse(in, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
    UNIAD_CHECK(!j.is_discarded(), path, ": not valid JSON");
  }
  for (const std::string& o : overrides) apply_override(j, o);
  RunConfig c = run_config_from_json(j, path.empty() ? "defaults" : path);
  c.model.validate();
  c.train.validate();
  c.eval.validate();
  return c;
}

}  // namespace uniad

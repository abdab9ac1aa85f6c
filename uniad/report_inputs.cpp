// Parsing the trainer's log.jsonl and the evaluation's metrics.json for the run report.
#include "uniad/report_inputs.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tensor/error.h"

namespace uniad {

using nlohmann::json;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Where a value came from, for error messages: "run/log.jsonl:12" or "eval/metrics.json".
double number(const json& obj, const char* key, const std::string& where) {
  const auto it = obj.find(key);
  UNIAD_CHECK(it != obj.end(), where, ": missing field \"", key, "\"");
  if (it->is_null()) return kNaN;
  UNIAD_CHECK(it->is_number(), where, ": field \"", key, "\" is ", it->type_name(), ", expected a number");
  return it->get<double>();
}

int64_t integer(const json& obj, const char* key, const std::string& where) {
  const auto it = obj.find(key);
  UNIAD_CHECK(it != obj.end(), where, ": missing field \"", key, "\"");
  UNIAD_CHECK(it->is_number_integer(), where, ": field \"", key, "\" is ", it->type_name(), ", expected an integer");
  return it->get<int64_t>();
}

// A line {"epoch", KEY: {name: number, ...}}: KEY is "test" or "shortcut".
LogTest parse_test_line(const json& j, const char* key, const std::string& where) {
  LogTest t;
  t.epoch = integer(j, "epoch", where);
  t.seconds = j.contains("seconds") ? number(j, "seconds", where) : kNaN;
  const json& metrics = j[key];
  UNIAD_CHECK(metrics.is_object(), where, ": field \"", key, "\" is ", metrics.type_name(), ", expected an object");
  for (const auto& [key, value] : metrics.items()) {
    if (!value.is_number() && !value.is_null()) continue;  // e.g. a class name: not plottable
    t.metrics.emplace_back(key, value.is_null() ? kNaN : value.get<double>());
  }
  return t;
}

MetricRow parse_row(const json& j, const std::string& where) {
  UNIAD_CHECK(j.is_object(), where, " is ", j.type_name(), ", expected an object");
  MetricRow row;
  UNIAD_CHECK(j.contains("name") && j["name"].is_string(), where, ": missing string field \"name\"");
  row.name = j["name"].get<std::string>();
  if (j.contains("images")) row.images = integer(j, "images", where);
  for (const auto& [key, value] : j.items())
    if (key != "name" && key != "images" && (value.is_number() || value.is_null()))
      row.values.emplace_back(key, value.is_null() ? kNaN : value.get<double>());
  return row;
}

// {"uniad": {"classes": [...], "mean": {...}, "notes": [...]}, ...}, "uniad" first.
std::vector<MethodMetrics> parse_methods(const json& j, const std::string& where) {
  UNIAD_CHECK(j.is_object(), where, " is ", j.type_name(), ", expected an object of methods");
  std::vector<MethodMetrics> methods;
  for (const auto& [name, m] : j.items()) {
    const std::string at = where + "." + name;
    UNIAD_CHECK(m.is_object() && m.contains("classes") && m["classes"].is_array(), at,
                ": expected an object with a \"classes\" array");
    MethodMetrics mm;
    mm.method = name;
    for (size_t i = 0; i < m["classes"].size(); ++i)
      mm.rows.push_back(parse_row(m["classes"][i], at + ".classes[" + std::to_string(i) + "]"));
    if (m.contains("mean")) mm.mean = parse_row(m["mean"], at + ".mean");
    if (m.contains("notes") && m["notes"].is_array())
      for (const json& note : m["notes"])
        if (note.is_string()) mm.notes.push_back(note.get<std::string>());
    methods.push_back(std::move(mm));
  }
  std::stable_sort(methods.begin(), methods.end(), [](const MethodMetrics& a, const MethodMetrics& b) {
    return (a.method == "uniad") > (b.method == "uniad");
  });
  return methods;
}

}  // namespace

double MetricRow::get(const std::string& key) const {
  for (const auto& [k, v] : values)
    if (k == key) return v;
  return kNaN;
}

const std::vector<std::pair<std::string, std::string>>& metric_columns() {
  static const std::vector<std::pair<std::string, std::string>> columns = {
      {"image_auroc", "image AUROC"}, {"image_ap", "image AP"}, {"image_f1_max", "image F1-max"},
      {"pixel_auroc", "pixel AUROC"}, {"pixel_ap", "pixel AP"}, {"pixel_f1_max", "pixel F1-max"},
      {"aupro", "AUPRO"}};
  return columns;
}

RunLog read_run_log(const std::string& path) {
  std::ifstream in(path);
  UNIAD_CHECK(in.good(), "report: cannot read the training log ", path);
  RunLog log;
  std::string text;
  double previous_seconds = 0;
  for (int64_t line_no = 1; std::getline(in, text); ++line_no) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(line_no);
    json j;
    try {
      j = json::parse(text);
    } catch (const json::parse_error& e) {
      UNIAD_CHECK(false, where, ": not a JSON line (", e.what(), ")");
    }
    UNIAD_CHECK(j.is_object(), where, ": expected a JSON object, got ", j.type_name());
    double seconds = kNaN;
    if (j.contains("val_loss")) {
      LogValidation v{integer(j, "epoch", where), number(j, "val_loss", where), number(j, "seconds", where),
                      j.value("best", false)};
      // A resumed run validates its epochs again: keep the later lines.
      while (!log.validations.empty() && log.validations.back().epoch >= v.epoch) log.validations.pop_back();
      log.validations.push_back(v);
      seconds = v.seconds;
    } else if (j.contains("test")) {
      LogTest t = parse_test_line(j, "test", where);
      while (!log.tests.empty() && log.tests.back().epoch >= t.epoch) log.tests.pop_back();
      seconds = t.seconds;
      log.tests.push_back(std::move(t));
    } else if (j.contains("shortcut")) {
      LogTest t = parse_test_line(j, "shortcut", where);
      while (!log.shortcuts.empty() && log.shortcuts.back().epoch >= t.epoch) log.shortcuts.pop_back();
      seconds = t.seconds;
      log.shortcuts.push_back(std::move(t));
    } else if (j.contains("step")) {
      LogStep s{integer(j, "step", where), integer(j, "epoch", where), number(j, "loss", where),
                number(j, "lr", where), number(j, "seconds", where)};
      if (!log.steps.empty() && log.steps.back().step >= s.step) {
        ++log.resumes;
        while (!log.steps.empty() && log.steps.back().step >= s.step) log.steps.pop_back();
      }
      log.steps.push_back(s);
      seconds = s.seconds;
    } else if (j.contains("budget")) {
      // The trainer fitted the epochs to the time budget: nothing to plot.
    } else {
      UNIAD_CHECK(false, where, ": a line with neither \"step\", \"val_loss\", \"test\", \"shortcut\" nor \"budget\"");
    }
    // Each training session's clock starts at zero: add up the sessions.
    if (std::isfinite(seconds)) {
      if (seconds < previous_seconds) log.seconds += previous_seconds;
      previous_seconds = seconds;
    }
  }
  UNIAD_CHECK(!in.bad(), "report: reading the training log ", path, " failed");
  log.seconds += previous_seconds;
  return log;
}

EvalMetrics read_eval_metrics(const std::string& path) {
  std::ifstream in(path);
  UNIAD_CHECK(in.good(), "report: cannot read ", path);
  json j;
  try {
    j = json::parse(in);
  } catch (const json::parse_error& e) {
    UNIAD_CHECK(false, path, ": not valid JSON (", e.what(), ")");
  }
  UNIAD_CHECK(j.is_object(), path, ": expected a JSON object, got ", j.type_name());
  EvalMetrics m;
  if (j.contains("methods")) m.methods = parse_methods(j["methods"], path + ": methods");
  if (j.contains("per_defect")) m.per_defect = parse_methods(j["per_defect"], path + ": per_defect");
  if (j.contains("heatmaps") && j["heatmaps"].is_array())
    for (const json& h : j["heatmaps"])
      if (h.is_string()) m.heatmaps.push_back(h.get<std::string>());
  if (j.contains("checkpoint") && j["checkpoint"].is_string()) m.checkpoint = j["checkpoint"];
  if (j.contains("image_score") && j["image_score"].is_string()) m.image_score = j["image_score"];
  if (j.contains("threshold") && j["threshold"].is_object() && j["threshold"].contains("value")) {
    m.threshold = number(j["threshold"], "value", path + ": threshold");
    m.threshold_rule = j["threshold"].value("rule", "");
    m.has_threshold = true;
  }
  if (j.contains("seconds") && j["seconds"].is_number()) m.seconds = j["seconds"].get<double>();
  return m;
}

}  // namespace uniad

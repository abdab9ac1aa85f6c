#pragma once
// What `uniad report` reads from a run folder, parsed into plain structs (uniad/report.h lists
// the files). Parsing only; report.cpp decides what to draw and write.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace uniad {

// ---- RUN_DIR/log.jsonl ----
struct LogStep {
  int64_t step = 0, epoch = 0;  // step counts from 1, epoch from 0 (the epoch being trained)
  double loss = 0, lr = 0, seconds = 0;
};
struct LogValidation {
  int64_t epoch = 0;  // epochs completed when validated (from 1)
  double val_loss = 0, seconds = 0;
  bool best = false;
};
struct LogTest {
  int64_t epoch = 0;  // epochs completed, as for validation
  double seconds = 0;
  std::vector<std::pair<std::string, double>> metrics;  // e.g. {"image_auroc", 0.97}; null -> NaN
};
struct RunLog {
  std::vector<LogStep> steps;
  std::vector<LogValidation> validations;
  std::vector<LogTest> tests;
  // {"epoch", "shortcut": {"normal_val", "anomalous", ..., "copy_index"}} lines of the
  // identical-shortcut lab (train.shortcut_every, uniad/shortcut_lab.h), same layout as tests.
  std::vector<LogTest> shortcuts;
  double seconds = 0;  // wall time of all training sessions (a resumed run restarts its clock)
  int resumes = 0;     // times the log goes back in steps: lines a resumed run redid are dropped
};

// Throws uniad::Error naming the file when it cannot be read, and file:line for a line that is
// not JSON or lacks a field. Blank lines are skipped.
RunLog read_run_log(const std::string& path);

// ---- RUN_DIR/eval/metrics.json (docs/main_job.md) ----
struct MetricRow {
  std::string name;
  int64_t images = -1;                                 // -1 when absent (per-defect rows)
  std::vector<std::pair<std::string, double>> values;  // key -> value, null -> NaN, file order
  double get(const std::string& key) const;            // NaN when absent
};
struct MethodMetrics {
  std::string method;  // "uniad", "nearest_neighbour", ...
  std::vector<MetricRow> rows;
  MetricRow mean;
  std::vector<std::string> notes;
};
struct EvalMetrics {
  std::vector<MethodMetrics> methods, per_defect;  // "uniad" first, then by name
  std::vector<std::string> heatmaps;               // relative to the eval folder
  std::string checkpoint, image_score;
  double threshold = 0;
  std::string threshold_rule;
  bool has_threshold = false;
  double seconds = -1;
};

// Throws uniad::Error naming the file (and the JSON path) when it is unreadable or malformed.
EvalMetrics read_eval_metrics(const std::string& path);

// The metric keys the tables and plots know, in table order, with their column titles.
const std::vector<std::pair<std::string, std::string>>& metric_columns();

}  // namespace uniad

#pragma once
// The content of the run report page (uniad/report.h): headline numbers, tables, plots, heat
// maps, configuration and what was missing, as a ReportDocument to render.
#include <string>
#include <vector>

#include "uniad/report_document.h"
#include "uniad/report_inputs.h"

namespace uniad {

struct ReportContent {
  std::string run_dir;
  const RunLog* log = nullptr;
  const EvalMetrics* eval = nullptr;      // null when eval/metrics.json is missing
  std::string config_text;                // empty when config.json is missing
  std::vector<std::string> plots;         // file names in the report folder
  std::vector<std::string> heatmaps;      // relative to the eval folder
  std::vector<std::string> missing;       // inputs that were absent
};

ReportDocument build_report_document(const ReportContent& content);

}  // namespace uniad

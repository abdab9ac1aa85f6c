#pragma once
// Plots of the identical-shortcut lab (uniad/shortcut_lab.h, docs/shortcut_lab.md), read from
// the "shortcut" lines of training logs.
#include <string>
#include <vector>

#include "uniad/report_inputs.h"

namespace uniad {

// One run, per epoch: OUT_DIR/shortcut.png, the six errors (log y axis), and
// OUT_DIR/shortcut_index.png, the copy index with the test AUROCs. Returns the paths written
// (none when the log has no shortcut lines).
std::vector<std::string> write_shortcut_plots(const RunLog& log, const std::string& out_dir);

// The legend label of a run folder: model.network of RUN_DIR/config.json ("?" when unreadable).
std::string run_network(const std::string& run_dir);

// Several runs: the copy index (anomalous / normal_val) per epoch, one line per run labelled
// with its model.network (plus the folder name when two runs share a network), written to
// `path`; `labels` (one per run) replace those legends. Errors name a run without log.jsonl or
// without shortcut lines.
void write_shortcut_comparison(const std::vector<std::string>& run_dirs, const std::string& path,
                               const std::vector<std::string>& labels = {});

}  // namespace uniad

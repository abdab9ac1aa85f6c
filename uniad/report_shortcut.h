#pragma once
// Plots of the identical-shortcut lab (uniad/shortcut_lab.h, docs/shortcut_lab.md), read from
// the "shortcut" lines of training logs.
#include <string>
#include <vector>

#include "uniad/report_inputs.h"

namespace uniad {

// One run: every logged quantity (errors, copy index, AUROCs) per epoch, log y axis, written to
// `path`. Returns false (and writes nothing) when the log has no shortcut lines.
bool write_shortcut_plot(const RunLog& log, const std::string& path);

// The legend label of a run folder: model.network of RUN_DIR/config.json ("?" when unreadable).
std::string run_network(const std::string& run_dir);

// Several runs: the copy index (anomalous / normal_val) per epoch, one line per run labelled
// with its model.network (plus the folder name when two runs share a network), written to
// `path`. Errors name a run without log.jsonl or without shortcut lines.
void write_shortcut_comparison(const std::vector<std::string>& run_dirs, const std::string& path);

}  // namespace uniad

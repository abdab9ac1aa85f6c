// uniad shortcut-plot RUN_DIR... --out FILE.png
//
// Overlays the identical-shortcut lab's copy index (anomalous / normal validation error) of
// several training runs, one line per run labelled with its model.network: how the five
// reconstruction networks compare. The work is uniad/report_shortcut.h's.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "tools/cli/commands.h"
#include "uniad/report_shortcut.h"

namespace uniad::cli {

void add_shortcut_plot(CLI::App& app) {
  struct Options {
    std::vector<std::string> runs;
    std::string out = "shortcut_compare.png";
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "shortcut-plot",
      "Compare the identical shortcut across runs trained with train.shortcut_every > 0.\n"
      "Reads RUN_DIR/log.jsonl (its \"shortcut\" lines) and RUN_DIR/config.json (model.network, the legend) of each "
      "run. Writes one PNG (--out): the copy index, mean squared error on anomalous regions / on normal validation "
      "images, per epoch, one line per run; near 1 means the network reconstructs anomalies as well as normal "
      "features (docs/shortcut_lab.md).");
  cmd->add_option("RUN_DIR", o->runs, "Run folders written by `uniad train`")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--out", o->out, "PNG file to write (default: shortcut_compare.png)");
  cmd->callback([o] {
    write_shortcut_comparison(o->runs, o->out);
    for (const std::string& run : o->runs) std::printf("%-16s %s\n", run_network(run).c_str(), run.c_str());
    std::printf("wrote %s\n", o->out.c_str());
  });
}

}  // namespace uniad::cli

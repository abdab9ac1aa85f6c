// uniad shortcut-plot RUN_DIR... --out FILE.png [--labels a,b,...]
//
// Overlays the identical-shortcut lab's copy index (anomalous / normal validation error) of
// several training runs, one line per run labelled with its model.network: how the five
// reconstruction networks compare. The work is uniad/report_shortcut.h's.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "tensor/error.h"
#include "tools/cli/commands.h"
#include "uniad/report_shortcut.h"

namespace uniad::cli {

void add_shortcut_plot(CLI::App& app) {
  struct Options {
    std::vector<std::string> runs, labels;
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
  cmd->add_option("--labels", o->labels, "Legend labels, one per run in order (default: model.network)")
      ->delimiter(',');
  cmd->callback([o] {
    UNIAD_CHECK(o->labels.empty() || o->labels.size() == o->runs.size(), "--labels: ", o->labels.size(),
                " labels for ", o->runs.size(), " runs");
    write_shortcut_comparison(o->runs, o->out, o->labels);
    for (size_t i = 0; i < o->runs.size(); ++i)
      std::printf("%-24s %s\n", (o->labels.empty() ? run_network(o->runs[i]) : o->labels[i]).c_str(), o->runs[i].c_str());
    std::printf("wrote %s\n", o->out.c_str());
  });
}

}  // namespace uniad::cli

// Placeholder: `uniad ... features` arrives with issue 4; this file is replaced then.
#include "tensor/error.h"
#include "tools/cli/commands.h"

namespace uniad::cli {

void add_features(CLI::App& parent) {
  parent.add_subcommand("features", "Cache backbone features of a data set (not implemented yet)")->callback([] {
    throw Error("'features' is not implemented yet");
  });
}

}  // namespace uniad::cli

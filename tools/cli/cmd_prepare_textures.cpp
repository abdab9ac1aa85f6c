// Placeholder: `uniad ... textures` arrives with issue 4; this file is replaced then.
#include "tensor/error.h"
#include "tools/cli/commands.h"

namespace uniad::cli {

void add_prepare_textures(CLI::App& parent) {
  parent.add_subcommand("textures", "Build the MVTec-style texture benchmark (not implemented yet)")->callback([] {
    throw Error("'textures' is not implemented yet");
  });
}

}  // namespace uniad::cli

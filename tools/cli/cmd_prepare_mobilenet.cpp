// Placeholder: `uniad ... mobilenet-v2` arrives with issue 4; this file is replaced then.
#include "tensor/error.h"
#include "tools/cli/commands.h"

namespace uniad::cli {

void add_prepare_mobilenet(CLI::App& parent) {
  parent.add_subcommand("mobilenet-v2", "Convert nsfwjs's MobileNetV2 into the project's HDF5 weights (not implemented yet)")->callback([] {
    throw Error("'mobilenet-v2' is not implemented yet");
  });
}

}  // namespace uniad::cli

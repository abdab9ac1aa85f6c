// Placeholder: `uniad ... fashion-mnist` arrives with issue 4; this file is replaced then.
#include "tensor/error.h"
#include "tools/cli/commands.h"

namespace uniad::cli {

void add_prepare_fashion_mnist(CLI::App& parent) {
  parent.add_subcommand("fashion-mnist", "Write the unified Fashion-MNIST protocol (not implemented yet)")->callback([] {
    throw Error("'fashion-mnist' is not implemented yet");
  });
}

}  // namespace uniad::cli

#pragma once
// The `uniad` command line: main.cpp builds the CLI11 app and each file cmd_*.cpp adds one
// subcommand through one of these functions. A subcommand's callback does the work and throws
// uniad::Error on bad input; main.cpp prints the message and exits 1.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace uniad::cli {

void add_prepare_textures(CLI::App& prepare);       // uniad prepare textures
void add_prepare_fashion_mnist(CLI::App& prepare);  // uniad prepare fashion-mnist
void add_prepare_mobilenet(CLI::App& prepare);      // uniad prepare mobilenet-v2
void add_features(CLI::App& app);                   // uniad features
void add_train(CLI::App& app);                      // uniad train
void add_eval(CLI::App& app);                       // uniad eval
void add_predict(CLI::App& app);                    // uniad predict
void add_inspect(CLI::App& app);                    // uniad inspect

// What `uniad features` does, for commands that build a missing cache first: builds the cache,
// prints its summary, returns the path written.
struct FeaturesOptions {
  std::string config;
  std::vector<std::string> overrides;
  std::string out;
  bool restart = false;
};
std::string run_features(const FeaturesOptions& options);
void add_report(CLI::App& app);                     // uniad report
void add_bench(CLI::App& app);                      // uniad bench
void add_shortcut_plot(CLI::App& app);              // uniad shortcut-plot
// uniad ablate; argv is kept for the command line written above each table
void add_ablate(CLI::App& app, int argc, const char* const* argv);
void add_trace_autograd(CLI::App& app);             // uniad trace-autograd

}  // namespace uniad::cli

// build/uniad: the project's one command line. Each subcommand lives in its own cmd_*.cpp.
//
//   uniad prepare textures|fashion-mnist|mobilenet-v2 ...   make data sets and weight files
//   uniad features --config FILE [--set key=value ...]       cache backbone features
//   uniad train --config FILE [--set key=value ...]          train on a feature cache
//   uniad eval --checkpoint FILE                             metrics, heat maps
//   uniad predict --checkpoint FILE IMAGE...                 score single images
//   uniad inspect --checkpoint FILE [--token row,col]        attention, masks, queries
//   uniad report RUN_DIR                                     plots and a one-page report
//   uniad bench [--profile]                                  CPU speed against PyTorch
//   uniad ablate --suite NAME [--benchmark B --preset P]     the paper's ablations, as tables
//   uniad trace-autograd [--out F]                           a tiny autograd graph for notebook 01
//
// Every subcommand has --help. Errors (uniad::Error: bad input, missing files) print one line
// naming the file and field and exit with status 1; usage errors exit with CLI11's status.
#include <cstdio>
#include <exception>
#include <filesystem>

#include "tensor/error.h"
#include "tools/cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"UniAD: unified multi-class anomaly detection (train, evaluate, study)", "uniad"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print the help of every subcommand");

  CLI::App* prepare = app.add_subcommand("prepare", "Build data sets and weight files");
  prepare->require_subcommand(1);
  uniad::cli::add_prepare_textures(*prepare);
  uniad::cli::add_prepare_fashion_mnist(*prepare);
  uniad::cli::add_prepare_mobilenet(*prepare);
  uniad::cli::add_features(app);
  uniad::cli::add_train(app);
  uniad::cli::add_eval(app);
  uniad::cli::add_predict(app);
  uniad::cli::add_inspect(app);
  uniad::cli::add_report(app);
  uniad::cli::add_bench(app);
  uniad::cli::add_shortcut_plot(app);
  uniad::cli::add_ablate(app, argc, argv);
  uniad::cli::add_trace_autograd(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const uniad::Error& e) {
    std::fprintf(stderr, "uniad: error: %s\n", e.what());
    return 1;
  } catch (const std::filesystem::filesystem_error& e) {  // permissions, full disk: the user's to fix
    std::fprintf(stderr, "uniad: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "uniad: internal error: %s\n", e.what());
    return 2;
  }
  return 0;
}

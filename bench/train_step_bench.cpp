// build/bench/bench_train_step: the model benchmark of bench/model_bench.h, also run by
// `uniad bench` (which has the same options and --help).
//
//   build/bench/bench_train_step [--threads N (2)] [--repeats R (5)] [--batch B (8)] [--profile]
#include <string>

#include "bench/bench_util.h"
#include "bench/model_bench.h"

int main(int argc, char** argv) {
  using namespace uniad::bench;
  if (wants_help(argc, argv, "usage: bench_train_step [--threads N (2)] [--repeats R (5)] [--batch B (8)] [--profile]"))
    return 0;
  ModelBenchOptions o;
  o.threads = arg_int(argc, argv, "--threads", o.threads);
  o.repeats = arg_int(argc, argv, "--repeats", o.repeats);
  o.batch = arg_int(argc, argv, "--batch", o.batch);
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--profile") o.profile = true;
  return run_model_bench(o);
}

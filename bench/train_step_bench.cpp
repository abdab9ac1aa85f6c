// build/bench/bench_train_step: the model benchmark of bench/model_bench.h, also run by
// `uniad bench` (which has the same options and --help).
//
//   build/bench/bench_train_step [--threads N (2)] [--repeats R (5)] [--batch B (8)] [--profile]
//                                [--device cpu|cuda (cpu)] [--precision fp32|tf32|bf16 (fp32)] [--warmups W (3)]
// On a GPU, batch and repeats default to 64 and 20; without a GPU, --device cuda prints a skip
// line and exits 77.
#include <string>

#include "bench/bench_util.h"
#include "bench/model_bench.h"
#include "tensor/error.h"

int main(int argc, char** argv) {
  using namespace uniad::bench;
  if (wants_help(argc, argv,
                 "usage: bench_train_step [--threads N (2)] [--repeats R (5; 20 on a GPU)] [--batch B (8; 64 on a GPU)] "
                 "[--profile] [--device cpu|cuda (cpu)] [--precision fp32|tf32|bf16 (fp32)] [--warmups W (3, GPU)]"))
    return 0;
  ModelBenchOptions o;
  o.device = arg_str(argc, argv, "--device", o.device);
  const bool gpu = o.device != "cpu";
  o.threads = arg_int(argc, argv, "--threads", o.threads);
  o.repeats = arg_int(argc, argv, "--repeats", gpu ? kGpuDefaultRepeats : o.repeats);
  o.batch = arg_int(argc, argv, "--batch", gpu ? kGpuDefaultBatch : o.batch);
  o.precision = arg_str(argc, argv, "--precision", o.precision);
  o.warmups = arg_int(argc, argv, "--warmups", o.warmups);
  o.profile = has_arg(argc, argv, "--profile");
  try {
    return run_model_bench(o);
  } catch (const uniad::Error& e) {
    std::fprintf(stderr, "bench_train_step: error: %s\n", e.what());
    return 1;
  }
}

// uniad bench [--threads N] [--repeats R] [--batch B] [--profile] [--no-scaling] [--no-torch]
//             [--device cpu|cuda] [--precision fp32|tf32|bf16] [--warmups W]
//
// The benchmark of the paper-size model, ours next to PyTorch in one run (bench/model_bench.h
// does the work; build/bench/bench_train_step runs the same code): on the CPU by default, on a
// GPU with --device cuda.
#include <cstdio>
#include <memory>

#include "bench/model_bench.h"
#include "tensor/error.h"
#include "tools/cli/commands.h"

namespace uniad::cli {

void add_bench(CLI::App& app) {
  auto o = std::make_shared<bench::ModelBenchOptions>();
  auto no_scaling = std::make_shared<bool>(false);
  auto no_torch = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Benchmark the paper-size UniAD model on the CPU against PyTorch (Debian's python3-torch, same threads, "
      "same process run): training step (forward, backward, clipping, AdamW) and eval forward times with ratios "
      "ours / PyTorch, peak memory of a training step, GFLOP/s against the machine's sgemm GFLOP/s, the 1 -> 2 "
      "thread speed-up, and with --profile the time of each op of our training step. Takes about a minute. "
      "With --device cuda: the same on a GPU against PyTorch eager there (python3, or $UNIAD_PYTHON), at batch 64 "
      "unless given, and the paper's full training schedule projected from the step time; without a GPU it "
      "prints a skip line.");
  cmd->add_option("--threads", o->threads, "Threads for both sides")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--repeats", o->repeats, "Timed repetitions; medians are reported (20 on a GPU unless given)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--batch", o->batch, "Feature maps per step (64 on a GPU unless given)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--sgemm-size", o->sgemm_size, "Side of the square sgemm that measures the machine")
      ->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_flag("--profile", o->profile, "Print a per-op profile of our training step (CPU)");
  cmd->add_flag("--no-scaling", *no_scaling, "Skip the 1-thread run");
  cmd->add_flag("--no-torch", *no_torch, "Skip the PyTorch side (ratios show nan)");
  cmd->add_option("--device", o->device, "cpu, or cuda / cuda:N for the GPU benchmark")->capture_default_str();
  cmd->add_option("--precision", o->precision, "GPU float32 matmuls: fp32, tf32 or bf16 (bf16: PyTorch runs "
                                               "under autocast, not like for like)")
      ->check(CLI::IsMember({"fp32", "tf32", "bf16"}))->capture_default_str();
  cmd->add_option("--warmups", o->warmups, "GPU: untimed steps before timing")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  cmd->callback([o, no_scaling, no_torch, cmd] {
    o->scaling = !*no_scaling;
    o->torch = !*no_torch;
    if (o->device != "cpu") {
      if (cmd->count("--batch") == 0) o->batch = bench::kGpuDefaultBatch;
      if (cmd->count("--repeats") == 0) o->repeats = bench::kGpuDefaultRepeats;
    }
    const int status = bench::run_model_bench(*o);
    if (status == bench::kSkipped) return;  // no GPU: the skip line is printed
    if (status != 0) throw Error("bench: the PyTorch side did not run (see above)");
  });
}

}  // namespace uniad::cli

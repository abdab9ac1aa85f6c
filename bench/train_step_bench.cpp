// The paper-size UniAD reconstruction model (7,717,392 parameters, 272x14x14 input, batch 8,
// dropout 0.1 and jitter on): one training step (forward, backward, global-norm clipping,
// AdamW) and one eval forward, ours next to the same model in PyTorch (tools/uniad_reference.py)
// in the same run, same thread count. Prints medians and the ratios ours / PyTorch.
//
//   build/bench/bench_train_step [--threads N (2)] [--repeats R (5)] [--batch B (8)]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "bench_util.h"
#include "nn/optim.h"
#include "uniad/model.h"

using namespace uniad;
using bench::arg_int;
using bench::median_seconds;

int main(int argc, char** argv) {
  if (bench::wants_help(argc, argv, "usage: bench_train_step [--threads N (2)] [--repeats R (5)] [--batch B (8)]"))
    return 0;
  const int threads = arg_int(argc, argv, "--threads", 2);
  const int repeats = arg_int(argc, argv, "--repeats", 5);
  const int batch = arg_int(argc, argv, "--batch", 8);
  omp_set_num_threads(threads);

  Generator gen(0);
  ReconstructionModel model(ModelConfig{}, gen);
  nn::AdamW optimizer(model.named_parameters(), nn::AdamWOptions{1e-4, 0.9, 0.999, 1e-8, 1e-4});
  Generator data(1);
  const Tensor features = rand_normal({batch, 272, 14, 14}, 0, 1, data);  // [B, C, H, W]

  const double ours_train = median_seconds([&] {
    model.train();
    optimizer.zero_grad();
    ag::mse_loss(model.forward(features), features).backward();
    nn::clip_grad_norm(model.named_parameters(), 0.1);
    optimizer.step();
  }, repeats);
  const double ours_eval = median_seconds([&] {
    ag::NoGradGuard no_grad;
    model.eval();
    model.forward(features);
  }, repeats);

  const auto torch = bench::run_torch_script("torch_train_step.py", threads, "--repeats " + std::to_string(repeats) +
                                                                                " --batch " + std::to_string(batch));
  std::printf("UniAD paper-size model, batch %d, %d threads, median of %d\n", batch, threads, repeats);
  std::printf("%-34s %10s %10s %8s\n", "", "ours s", "torch s", "ratio");
  auto row = [&](const char* what, double ours, const char* key) {
    const auto it = torch.find(key);
    if (it == torch.end()) {
      std::printf("%-34s %10.3f %10s %8s\n", what, ours, "n/a", "n/a");
      return;
    }
    std::printf("%-34s %10.3f %10.3f %7.2fx\n", what, ours, it->second, ours / it->second);
  };
  row("training step (fwd+bwd+clip+AdamW)", ours_train, "train_step");
  row("eval forward", ours_eval, "eval_forward");
  if (torch.empty())
    std::fprintf(stderr, "bench_train_step: PyTorch side did not run (needs /usr/bin/python3 with python3-torch; "
                         "scripts/bench.sh train_step installs it)\n");
  std::printf("ratio = ours / PyTorch time (lower is better)\n");
  return torch.empty() ? 1 : 0;
}

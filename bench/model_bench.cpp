#include "bench/model_bench.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <fstream>
#include <map>
#include <string>

#include "autograd/profile.h"
#include "bench/bench_util.h"
#include "bench/model_under_test.h"
#include "bench/process_memory.h"
#include "tensor/device.h"
#include "tensor/matmul.h"
#include "uniad/model_flops.h"

namespace uniad::bench {

namespace {

std::string cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

double sgemm_gflops(int size, int repeats, ops::GemmBackend backend) {
  Generator gen(2);
  const Tensor a = rand_normal({size, size}, 0, 1, gen), b = rand_normal({size, size}, 0, 1, gen);
  ops::set_gemm_backend(backend);
  const double t = median_seconds([&] { ops::matmul(a, b); }, std::max(repeats, 5));
  ops::set_gemm_backend(ops::GemmBackend::Auto);
  return 2.0 * size * size * size / t / 1e9;
}

double value_or(const std::map<std::string, double>& m, const char* key, double fallback) {
  const auto it = m.find(key);
  return it == m.end() ? fallback : it->second;
}

// Per-op totals (ms per step) of `repeats` profiled training steps.
struct OpTimes {
  double forward = 0, backward = 0, other = 0;
  int64_t calls = 0;
  double total() const { return forward + backward + other; }
};
std::map<std::string, OpTimes> profile_steps(ModelUnderTest& m, int repeats) {
  ag::profiler::start();
  for (int i = 0; i < repeats; ++i) {
    ag::profiler::set_phase("forward");
    m.full_step();
  }
  std::map<std::string, OpTimes> ops;
  for (const auto& r : ag::profiler::stop()) {
    OpTimes& t = ops[r.op];
    (r.phase == "forward" ? t.forward : r.phase == "backward" ? t.backward : t.other) += 1e3 * r.seconds / repeats;
    if (r.phase != "backward" || t.forward == 0) t.calls = std::max(t.calls, r.calls / repeats);
  }
  return ops;
}

// The profile at the benchmark's thread count and, when `single` is given, at 1 thread beside it,
// so that ops which do not scale stand out.
void print_profile(const std::map<std::string, OpTimes>& ops, const std::map<std::string, OpTimes>* single,
                   int threads, int repeats) {
  std::vector<std::pair<std::string, OpTimes>> sorted(ops.begin(), ops.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second.total() > b.second.total(); });
  double total = 0, total_1 = 0;
  for (const auto& [op, t] : sorted) total += t.total();
  std::printf("\nPer-op profile of our training step at %d threads (ms per step, mean of %d steps; forward\n"
              "time is the time since the previous op ended, backward the node's closure plus its gradient sums)\n",
              threads, repeats);
  std::printf("%-22s %9s %9s %9s %9s %7s %6s", "op", "forward", "backward", "optimizer", "total", "share", "calls");
  if (single) std::printf(" %11s %8s", "1 thread", "speed-up");
  std::printf("\n");
  for (const auto& [op, t] : sorted) {
    std::printf("%-22s %9.2f %9.2f %9.2f %9.2f %6.1f%% %6lld", op.c_str(), t.forward, t.backward, t.other, t.total(),
                100 * t.total() / total, static_cast<long long>(t.calls));
    if (single) {
      const auto it = single->find(op);
      const double one = it == single->end() ? 0 : it->second.total();
      total_1 += one;
      std::printf(" %11.2f %7.2fx", one, one / t.total());
    }
    std::printf("\n");
  }
  std::printf("%-22s %39.2f", "profiled step", total);
  if (single) std::printf(" %14s %11.2f %7.2fx", "", total_1, total_1 / total);
  std::printf("\n");
}

const char* verdict(bool met) { return met ? "met" : "MISSED"; }

}  // namespace

int run_model_bench(const ModelBenchOptions& o) {
  if (parse_device(o.device) != Device::cpu()) return run_gpu_model_bench(o);
  omp_set_num_threads(o.threads);
  ModelUnderTest m(o.batch);
  const ModelFlops flops = model_flops(ModelConfig{}, o.batch);
  std::printf("UniAD paper-size model: %lld parameters, input [%d, 272, 14, 14], dropout 0.1, jitter on\n",
              static_cast<long long>(m.parameters()), o.batch);
  std::printf("%s, %d threads, median of %d runs after one warm-up\n", cpu_name().c_str(), o.threads, o.repeats);
  std::fflush(stdout);

  // Ours first: the resident set just before the first step is the memory baseline.
  const int64_t baseline = proc_status_bytes("VmRSS");
  const bool can_reset = reset_peak_rss();
  const double ours_train = median_seconds([&] { m.full_step(); }, o.repeats);
  const int64_t ours_peak = can_reset ? proc_status_bytes("VmHWM") - baseline : -1;
  const double ours_eval = median_seconds([&] { m.eval_forward(); }, o.repeats);
  const double ours_sgemm = sgemm_gflops(o.sgemm_size, o.repeats, ops::GemmBackend::Auto);
  const double eigen_sgemm = sgemm_gflops(o.sgemm_size, o.repeats, ops::GemmBackend::Eigen);
  // Scaling: steps at 1 and at N threads alternate, so that both medians see the same
  // background load on a shared machine.
  double ours_train_1 = 0, ours_train_n = ours_train;
  if (o.scaling) {
    std::vector<double> one, many;
    for (int i = 0; i < o.repeats; ++i)
      for (int threads : {1, o.threads}) {
        omp_set_num_threads(threads);
        const auto start = std::chrono::steady_clock::now();
        m.full_step();
        (threads == 1 ? one : many).push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
    omp_set_num_threads(o.threads);
    ours_train_1 = median(one);
    ours_train_n = median(many);
  }

  std::map<std::string, double> torch, torch_1;
  if (o.torch) {
    const std::string args = "--repeats " + std::to_string(o.repeats) + " --batch " + std::to_string(o.batch);
    torch = run_torch_script("torch_train_step.py", o.threads, args + " --sgemm-size " + std::to_string(o.sgemm_size));
    if (o.scaling) torch_1 = run_torch_script("torch_train_step.py", 1, args + " --train-only");
    if (torch.empty()) {
      std::fprintf(stderr, "uniad bench: the PyTorch side did not run (needs /usr/bin/python3 with python3-torch; "
                           "scripts/bench.sh installs it)\n");
      return 1;
    }
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double torch_train = value_or(torch, "train_step", nan), torch_eval = value_or(torch, "eval_forward", nan);
  const double torch_peak = value_or(torch, "peak_rss_growth", nan);
  const double torch_sgemm = value_or(torch, "sgemm_gflops", nan);
  double machine_sgemm = std::max(ours_sgemm, eigen_sgemm);
  if (torch_sgemm > machine_sgemm) machine_sgemm = torch_sgemm;

  std::printf("\nsgemm [%d x %d] x [%d x %d]: ours %.1f, Eigen %.1f, PyTorch %.1f GFLOP/s; machine sgemm = the best, "
              "%.1f GFLOP/s\n", o.sgemm_size, o.sgemm_size, o.sgemm_size, o.sgemm_size, ours_sgemm, eigen_sgemm,
              torch_sgemm, machine_sgemm);
  std::printf("model FLOPs (matrix products): forward %.2f GFLOP, training step %.2f GFLOP\n\n", flops.forward / 1e9,
              flops.train / 1e9);
  // One row: label, ours, PyTorch, ratio or share, target and verdict.
  auto row = [](const char* what, const std::string& ours, const std::string& theirs, const std::string& ratio,
                const std::string& target) {
    std::printf("%-36s %12s %12s %12s   %s\n", what, ours.c_str(), theirs.c_str(), ratio.c_str(), target.c_str());
  };
  auto fmt = [](const char* format, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return std::string(buf);
  };
  auto ratio_row = [&](const char* what, double ours, double theirs, const char* format, double target) {
    const double r = ours / theirs;
    row(what, fmt(format, ours), fmt(format, theirs), fmt("%.2fx", r),
        fmt("<= %.2fx ", target) + (theirs == theirs ? verdict(r <= target) : "n/a"));
  };
  row("", "ours", "PyTorch", "ours/PyTorch", "target");
  ratio_row("training step (fwd+bwd+clip+AdamW)", ours_train, torch_train, "%.3f s", 0.5);
  ratio_row("eval forward", ours_eval, torch_eval, "%.3f s", 0.5);
  if (ours_peak >= 0) ratio_row("peak memory of a training step", ours_peak / 1e6, torch_peak / 1e6, "%.0f MB", 1.0);
  const double ours_gflops = flops.train / ours_train / 1e9, torch_gflops = flops.train / torch_train / 1e9;
  const double share = ours_gflops / machine_sgemm;
  row("training step GFLOP/s, % of sgemm", fmt("%.1f", ours_gflops), fmt("%.1f", torch_gflops),
      fmt("%.0f%%", 100 * share), std::string(">= 50% ") + verdict(share >= 0.5));
  row("eval forward GFLOP/s, % of sgemm", fmt("%.1f", flops.forward / ours_eval / 1e9),
      fmt("%.1f", flops.forward / torch_eval / 1e9), fmt("%.0f%%", 100 * flops.forward / ours_eval / 1e9 / machine_sgemm),
      "");
  if (o.scaling) {
    const double torch_1_train = value_or(torch_1, "train_step", nan);
    const double ours_speedup = ours_train_1 / ours_train_n;
    row("training step at 1 thread", fmt("%.3f s", ours_train_1), fmt("%.3f s", torch_1_train),
        fmt("%.2fx", ours_train_1 / torch_1_train), "");
    row("speed-up 1 -> N threads (training)", fmt("%.2fx", ours_speedup), fmt("%.2fx", torch_1_train / torch_train),
        "", std::string(">= 1.80x ") + verdict(ours_speedup >= 1.8));
  }
  std::printf("ratios: ours / PyTorch time or memory, lower is better; memory = growth of the resident\n"
              "high-water mark over the resident set before the first step (weights, gradients, AdamW\n"
              "state and activations); PyTorch runs with OMP_WAIT_POLICY=PASSIVE\n");
  if (o.profile) {
    const auto ops = profile_steps(m, o.repeats);
    std::map<std::string, OpTimes> single;
    if (o.scaling && o.threads > 1) {
      omp_set_num_threads(1);
      single = profile_steps(m, o.repeats);
      omp_set_num_threads(o.threads);
    }
    print_profile(ops, single.empty() ? nullptr : &single, o.threads, o.repeats);
  }
  return 0;
}

}  // namespace uniad::bench

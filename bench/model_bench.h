#pragma once
// The CPU model benchmark behind `uniad bench` and build/bench/bench_train_step: the paper-size
// UniAD reconstruction model (272x14x14 input, dropout and jitter on), ours next to the same
// model in PyTorch (tools/uniad_reference.py) at the same thread count, in one run.
//
// It prints medians and ratios ours / PyTorch for the training step (forward, backward,
// global-norm clipping, AdamW) and the eval forward, the peak memory of a training step, the
// achieved GFLOP/s against the machine's sgemm GFLOP/s measured in the same run, the 1 -> 2
// thread speed-up and, on request, a per-op profile of our training step.
//
// With device "cuda" it runs the GPU benchmark instead (bench/gpu_model_bench.cpp): the same
// model on the GPU at a chosen matmul precision, next to PyTorch eager on the same GPU, and the
// wall time of the paper's full training schedule projected from the measured step.
#include <string>

namespace uniad::bench {

struct ModelBenchOptions {
  int threads = 2;
  int repeats = 5;        // timed repetitions (after one warm-up); medians are reported
  int batch = 8;
  int sgemm_size = 1024;  // square sgemm that stands for the machine's GEMM speed
  bool scaling = true;    // also time the training step at 1 thread
  bool profile = false;   // per-op profile of our training step
  bool torch = true;      // run the PyTorch side
  std::string device = "cpu";       // "cuda" (or "cuda:N"): the GPU benchmark
  std::string precision = "fp32";   // GPU float32 matmuls: fp32, tf32 or bf16 (ops::MatmulPrecision)
  int warmups = 3;                  // GPU only: untimed steps first (cuBLAS set-up, the allocator's cache)
};

// Batch and repeats the GPU benchmark uses when none are given: the paper's batch, 8 GPUs x 8.
constexpr int kGpuDefaultBatch = 64, kGpuDefaultRepeats = 20;

// Prints the report to stdout. Returns 0, or 1 when the PyTorch side was asked for but did not
// run (the message says what to install).
int run_model_bench(const ModelBenchOptions& options);

// The GPU benchmark (run_model_bench calls it for a CUDA device). Returns 0; 1 when the PyTorch
// side was asked for but did not run; kSkipped, after a line saying so, when no GPU is usable.
constexpr int kSkipped = 77;  // ctest's and automake's "skipped" exit status
int run_gpu_model_bench(const ModelBenchOptions& options);

}  // namespace uniad::bench

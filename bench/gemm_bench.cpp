// GEMM benchmark on the shapes of the UniAD reconstruction transformer (tokens x batch =
// 196 x 8 = 1568 rows, model width 256, FFN width 1024, 8 heads of 32), ours next to PyTorch
// (OpenBLAS) in the same run, same thread count. Prints GFLOP/s of ours (AVX-512 kernel where
// the CPU has it), of our AVX2 kernel and of Eigen (forced through ops::set_gemm_backend), of
// PyTorch, and the ratios. The last row, a large square product, shows the machine's sgemm peak.
//
//   build/bench/bench_gemm [--threads N] [--repeats R] [--rounds K]
// Ratios, not absolute times, are the result: the machine is shared and noisy. Rounds
// alternate ours and PyTorch so that both see the same background load.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "bench_util.h"
#include "tensor/matmul.h"
#include "tensor/random.h"

using namespace uniad;
using bench::arg_int;
using bench::median;

namespace {

struct GemmShape {
  std::string key;   // one word, shared with torch_gemm.py
  std::string name;  // what the product is in the model
  int64_t batch, M, K, N;
  bool trans_a, trans_b;  // operand stored transposed (read in place, no copy)
  double flops() const { return 2.0 * batch * M * K * N; }
};

const std::vector<GemmShape> kShapes = {
    {"qkv_in_proj", "qkv_in_proj  X[1568,256] W^T[256,768]", 1, 1568, 256, 768, false, true},
    {"out_proj", "out_proj     X[1568,256] W^T[256,256]", 1, 1568, 256, 256, false, true},
    {"ffn_up", "ffn_up       X[1568,256] W^T[256,1024]", 1, 1568, 256, 1024, false, true},
    {"ffn_down", "ffn_down     X[1568,1024] W^T[1024,256]", 1, 1568, 1024, 256, false, true},
    {"ffn_up_dW", "ffn_up dW    G^T[1024,1568] X[1568,256]", 1, 1024, 1568, 256, true, false},
    {"ffn_down_dX", "ffn_down dX  G[1568,256] W[256,1024]", 1, 1568, 256, 1024, false, false},
    {"attn_scores", "attn scores  Q[64,196,32] K^T[64,32,196]", 64, 196, 32, 196, false, true},
    {"attn_values", "attn values  P[64,196,196] V[64,196,32]", 64, 196, 196, 32, false, false},
    {"square_2048", "square       A[2048,2048] B[2048,2048] (peak)", 1, 2048, 2048, 2048, false, false},
};

Tensor operand(int64_t batch, int64_t rows, int64_t cols, bool transposed, Generator& gen) {
  Shape shape = transposed ? Shape{cols, rows} : Shape{rows, cols};
  if (batch > 1) shape.insert(shape.begin(), batch);
  Tensor t = rand_normal(shape, 0, 1, gen);
  return transposed ? t.transpose(-1, -2) : t;
}


double time_ours(const GemmShape& s, int repeats, ops::GemmBackend backend) {
  ops::set_gemm_backend(backend);
  Generator gen(1);
  const Tensor a = operand(s.batch, s.M, s.K, s.trans_a, gen);
  const Tensor b = operand(s.batch, s.K, s.N, s.trans_b, gen);
  for (int i = 0; i < 3; ++i) ops::matmul(a, b);
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    Tensor c = ops::matmul(a, b);
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  ops::set_gemm_backend(ops::GemmBackend::Auto);
  return median(times);
}

// Runs bench/torch_gemm.py once for all shapes; returns median seconds by shape key.
std::map<std::string, double> time_torch(int threads, int repeats) {
  const std::string input = "/tmp/uniad_bench_gemm_shapes.txt";
  FILE* f = std::fopen(input.c_str(), "w");
  for (const auto& s : kShapes)
    std::fprintf(f, "%s %lld %lld %lld %lld %d %d\n", s.key.c_str(), (long long)s.batch, (long long)s.M,
                 (long long)s.K, (long long)s.N, s.trans_a, s.trans_b);
  std::fclose(f);
  return bench::run_torch_script("torch_gemm.py", threads, "--repeats " + std::to_string(repeats), input);
}

}  // namespace

int main(int argc, char** argv) {
  if (bench::wants_help(argc, argv, "usage: bench_gemm [--threads N (2)] [--repeats R (15)] [--rounds K (3)]")) return 0;
  const int threads = arg_int(argc, argv, "--threads", 2);
  const int repeats = arg_int(argc, argv, "--repeats", 15);
  const int rounds = arg_int(argc, argv, "--rounds", 3);
  omp_set_num_threads(threads);

  std::map<std::string, std::vector<double>> ours, avx2, eigen, theirs;
  for (int r = 0; r < rounds; ++r) {
    for (const auto& s : kShapes) {
      ours[s.name].push_back(time_ours(s, repeats, ops::GemmBackend::Auto));
      avx2[s.name].push_back(time_ours(s, repeats, ops::GemmBackend::Avx2));
      eigen[s.name].push_back(time_ours(s, repeats, ops::GemmBackend::Eigen));
    }
    auto t = time_torch(threads, repeats);
    if (t.empty()) {
      std::fprintf(stderr, "bench_gemm: could not run PyTorch (/usr/bin/python3 with python3-torch); "
                           "install it with: apt-get install python3-torch libopenblas0-pthread\n");
      return 1;
    }
    for (const auto& s : kShapes) theirs[s.name].push_back(t[s.key]);
  }

  std::printf("GEMM on UniAD transformer shapes, %d threads, median of %d x %d runs\n", threads, rounds, repeats);
  std::printf("%-48s %8s %8s %8s %8s %9s %9s\n", "shape (GFLOP/s)", "ours", "AVX2", "Eigen", "torch", "ours/torch",
              "ours/AVX2");
  double sum_ours = 0, sum_avx2 = 0, sum_torch = 0;
  for (const auto& s : kShapes) {
    const double o = s.flops() / median(ours[s.name]) / 1e9;
    const double v = s.flops() / median(avx2[s.name]) / 1e9;
    const double e = s.flops() / median(eigen[s.name]) / 1e9;
    const double t = s.flops() / median(theirs[s.name]) / 1e9;
    if (s.key != "square_2048") {  // the model's shapes only
      sum_ours += median(ours[s.name]);
      sum_avx2 += median(avx2[s.name]);
      sum_torch += median(theirs[s.name]);
    }
    std::printf("%-48s %8.1f %8.1f %8.1f %8.1f %9.2fx %8.2fx\n", s.name.c_str(), o, v, e, t, o / t, o / v);
  }
  std::printf("%-48s %8s %8s %8s %8s %9.2fx %8.2fx\n", "model shapes (time-weighted)", "", "", "", "",
              sum_torch / sum_ours, sum_avx2 / sum_ours);
  std::printf("ours = the default float32 path (AVX-512 kernel where the CPU has it); AVX2 = our AVX2 kernel;\n"
              "Eigen = the reference GEMM ours is tested against; torch = PyTorch (OpenBLAS), same threads\n");
  return 0;
}

// uniad trace-autograd [--out FILE] [--seed N]
//
// Runs the tiny computation of autograd/tiny_trace.h, loss = mean((relu(x W + b) - t)^2) on
// seeded float64 inputs, and writes everything about it to one HDF5 file: the inputs and every
// intermediate value, the graph (one record per Variable: the op, its inputs, the shape), the
// gradients backward produced and the finite-difference gradients of the same loss.
// notebooks/01_tensors_and_autograd.ipynb reads it and re-derives the backward pass in numpy.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "autograd/tiny_trace.h"
#include "tools/cli/commands.h"

namespace uniad::cli {

namespace {

void run_trace_autograd(const std::string& out, uint64_t seed) {
  const ag::TinyTrace trace = ag::run_tiny_trace(seed);
  const std::filesystem::path parent = std::filesystem::path(out).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  ag::write_tiny_trace(out, trace);

  std::printf("%s  (seed %llu, float64)\n", ag::kTinyTraceFormula, (unsigned long long)seed);
  std::printf("graph, forward order:\n");
  for (const ag::GraphRecord& r : trace.graph) {
    std::string inputs;
    for (int64_t i : r.inputs) inputs += (inputs.empty() ? "" : ", ") + trace.graph[size_t(i)].name;
    std::printf("  %2lld %-5s %-8s %-12s %s\n", (long long)r.id, r.name.c_str(), r.op.empty() ? "(leaf)" : r.op.c_str(),
                shape_str(r.value->data.shape()).c_str(), inputs.c_str());
  }
  std::printf("loss = %.10f\n", trace.graph.back().value->data.item());
  std::printf("largest |autograd - finite difference| over x, W, b: %.3g (eps %g)\n", trace.max_abs_diff, trace.eps);
  std::printf("wrote %s\n", out.c_str());
}

}  // namespace

void add_trace_autograd(CLI::App& app) {
  struct Options {
    std::string out = "runs/notebooks/autograd_trace.h5";
    uint64_t seed = 0;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "trace-autograd",
      "Dump a tiny autograd computation for study: loss = mean((relu(x W + b) - t)^2) with x [4, 3], W [3, 2], "
      "b [2], t [4, 2] drawn in float64 from --seed. Writes one HDF5 file with every value, the graph (one record "
      "per Variable: op, input ids, shape), the gradients of backward and the finite-difference gradients of x, W "
      "and b (layout: docs/notebooks.md); prints the graph and the largest difference between the two. "
      "notebooks/01_tensors_and_autograd.ipynb reads it.");
  cmd->add_option("--out", o->out, "HDF5 file to write (default: runs/notebooks/autograd_trace.h5)");
  cmd->add_option("--seed", o->seed, "Seed of the inputs (default 0)");
  cmd->callback([o] { run_trace_autograd(o->out, o->seed); });
}

}  // namespace uniad::cli

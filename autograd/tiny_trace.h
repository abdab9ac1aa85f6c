#pragma once
// The first example of notebooks/01_tensors_and_autograd.ipynb: one dense layer with a ReLU and
// a mean-squared-error loss, small enough to check every number by hand. `uniad trace-autograd`
// runs it and writes the dump (layout: docs/notebooks.md).
//
//   x [4, 3] input, W [3, 2] weight, b [2] bias (all require gradients), t [4, 2] target
//   xw = x W          [4, 2]   matmul
//   z  = xw + b       [4, 2]   add (b broadcast over the 4 rows)
//   h  = relu(z)      [4, 2]
//   d  = h - t        [4, 2]   sub
//   s  = d^2          [4, 2]   pow
//   loss = mean(s)    []       mean over all 8 elements
#include <cstdint>
#include <string>
#include <vector>

#include "autograd/graph_dump.h"

namespace uniad::ag {

struct TinyTrace {
  uint64_t seed = 0;
  std::vector<GraphRecord> graph;    // the 10 Variables above, forward order, after backward
  std::vector<std::string> leaves;   // "x", "W", "b": the inputs whose gradients are compared
  std::vector<Tensor> numeric_grad;  // central differences of the loss, one per leaf (gradcheck.h)
  double eps = 1e-6;                 // the finite-difference step
  double max_abs_diff = 0;           // largest |autograd - finite difference| over the leaves
};

inline constexpr const char* kTinyTraceFormula = "loss = mean((relu(x W + b) - t)^2)";

// Draws the float64 inputs from Generator(seed) (x, t ~ N(0, 1), W ~ N(0, 1/3), b ~ N(0, 0.1^2)),
// runs the forward pass, backward from the loss (every interior retains its gradient) and the
// finite differences.
TinyTrace run_tiny_trace(uint64_t seed);

// The dump: write_graph's /graph, /value and /grad, plus /numeric_grad/<leaf> and the root
// attributes format ("uniad-autograd-trace 1"), formula, seed, eps, max_abs_diff.
void write_tiny_trace(const std::string& path, const TinyTrace& trace);

}  // namespace uniad::ag

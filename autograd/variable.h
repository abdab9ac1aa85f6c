#pragma once
// Reverse-mode automatic differentiation on a dynamic graph.
//
// A Variable wraps a Tensor (its value) and, when it was produced by a differentiable op while
// gradients are enabled, a Node that knows how to send the output's gradient back to the op's
// inputs. Leaves are Variables made by the user (parameters, inputs); interior Variables are
// results of ops. backward() walks the graph once in reverse topological order, accumulates
// gradients into leaves that require them, and frees the graph unless asked to keep it.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace uniad::ag {

struct Node;

struct VariableImpl {
  Tensor data;
  Tensor grad;                     // accumulated gradient: leaves, and interiors that retain_grad()
  bool requires_grad = false;
  bool retains_grad = false;
  std::shared_ptr<Node> grad_fn;  // null for leaves
};

// Maps the gradient of an op's output to one gradient per input (an undefined Tensor where an
// input needs none). Closures capture only the tensors the gradient needs.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

struct Node {
  std::string op;
  std::vector<std::shared_ptr<VariableImpl>> inputs;
  BackwardFn backward;  // cleared after use unless the graph is retained
};

class Variable {
 public:
  Variable() = default;
  explicit Variable(Tensor data, bool requires_grad = false);

  bool defined() const { return impl_ != nullptr; }
  const Tensor& data() const;
  // The value, for in-place updates outside the graph (optimiser steps, initialisation).
  Tensor& mutable_data();
  const Tensor& grad() const;
  void set_grad(const Tensor& grad);
  void zero_grad();  // drops the gradient (the next backward starts from zero)

  bool requires_grad() const;
  Variable& requires_grad_(bool value = true);  // leaves only
  bool is_leaf() const;
  void retain_grad();  // keep the gradient of an interior Variable after backward
  std::string grad_fn_name() const;  // op that produced it, "" for leaves

  const Shape& shape() const { return data().shape(); }
  int64_t dim() const { return data().dim(); }
  int64_t size(int64_t axis) const { return data().size(axis); }
  int64_t numel() const { return data().numel(); }
  DType dtype() const { return data().dtype(); }
  double item() const { return data().item(); }

  // Backward from a one-element Variable (seed 1) or with an explicit seed of this shape.
  void backward(bool retain_graph = false) const;
  void backward(const Tensor& seed, bool retain_graph = false) const;

  // The same value, cut from the graph.
  Variable detach() const;

  const std::shared_ptr<VariableImpl>& impl() const { return impl_; }

 private:
  std::shared_ptr<VariableImpl> impl_;
};

// ---- gradient mode ----
bool grad_enabled();
// While alive, ops record no graph (evaluation, optimiser steps). Nestable.
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// Wraps an op's result. When gradients are enabled and some input requires them, the result
// gets a Node named `op` that holds the inputs and the backward closure. Optional inputs may be
// undefined Variables; they get no gradient.
Variable make_result(Tensor value, const char* op, const std::vector<Variable>& inputs, BackwardFn backward);

}  // namespace uniad::ag

#pragma once
// A recorded autograd graph as plain records, and its dump to HDF5, for teaching and debugging:
// one record per Variable that a root depends on, with the op that made it (the Node's name,
// Variable::grad_fn_name()), the records of that op's inputs, its value and, after backward,
// its gradient. notebooks/01_tensors_and_autograd.ipynb reads such a dump (docs/notebooks.md).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/variable.h"
#include "tensor/hdf5_io.h"

namespace uniad::ag {

struct GraphRecord {
  int64_t id = 0;                       // position in forward order: every input comes before its uses
  std::string name;                     // the caller's name for the Variable, else "v<id>"
  std::string op;                       // the op that produced it; "" for a leaf
  std::vector<int64_t> inputs;          // ids of the op's inputs, in the op's argument order
  std::shared_ptr<VariableImpl> value;  // data, requires_grad and (after backward) grad
};

using NamedVariables = std::vector<std::pair<std::string, Variable>>;

// Every Variable `root` depends on through recorded ops (leaves included, whether or not they
// require gradients), each once, in a topological order that ends with the root. `names` labels
// some of them; names must be unique and free of '/'.
std::vector<GraphRecord> trace_graph(const Variable& root, const NamedVariables& names = {});

// Writes the records under `group` of an open file:
//   group/name [N], group/op [N]       strings (op "" for a leaf)
//   group/inputs [N, K] int64          input ids, -1 where an op has fewer than K inputs
//   group/shape [N, R] int64           value shape, -1 past the value's rank (a scalar: all -1)
//   group/requires_grad [N] int64      1 when the gradient flows to it
//   value_group/<name>                 every value, in its dtype
//   grad_group/<name>                  every gradient that backward kept (leaves that require it,
//                                      interiors that retain_grad())
void write_graph(h5::File& file, const std::vector<GraphRecord>& records, const std::string& group = "/graph",
                 const std::string& value_group = "/value", const std::string& grad_group = "/grad");

}  // namespace uniad::ag

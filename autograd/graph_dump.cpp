#include "autograd/graph_dump.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace uniad::ag {

std::vector<GraphRecord> trace_graph(const Variable& root, const NamedVariables& names) {
  UNIAD_CHECK(root.defined(), "trace_graph: the root is an undefined Variable");
  std::unordered_map<const VariableImpl*, std::string> name_of;
  std::unordered_set<std::string> used;
  for (const auto& [name, v] : names) {
    UNIAD_CHECK(v.defined(), "trace_graph: '", name, "' is an undefined Variable");
    UNIAD_CHECK(!name.empty() && name.find('/') == std::string::npos, "trace_graph: name '", name,
                "' must be non-empty and free of '/' (it becomes an HDF5 dataset name)");
    UNIAD_CHECK(used.insert(name).second, "trace_graph: the name '", name, "' is given twice");
    name_of[v.impl().get()] = name;
  }

  // Post-order depth-first search: a Variable is emitted after all of its inputs.
  std::vector<std::shared_ptr<VariableImpl>> order;
  std::unordered_map<const VariableImpl*, int64_t> id_of;
  std::unordered_set<const VariableImpl*> seen{root.impl().get()};
  std::vector<std::pair<std::shared_ptr<VariableImpl>, size_t>> stack{{root.impl(), 0}};
  while (!stack.empty()) {
    auto& [v, next] = stack.back();
    const std::shared_ptr<Node>& node = v->grad_fn;
    if (node && next < node->inputs.size()) {
      const std::shared_ptr<VariableImpl> child = node->inputs[next++];
      if (child && seen.insert(child.get()).second) stack.push_back({child, 0});
    } else {
      id_of[v.get()] = int64_t(order.size());
      order.push_back(v);
      stack.pop_back();
    }
  }

  std::vector<GraphRecord> records;
  for (const std::shared_ptr<VariableImpl>& v : order) {
    GraphRecord r;
    r.id = int64_t(records.size());
    const auto named = name_of.find(v.get());
    if (named != name_of.end()) {
      r.name = named->second;
    } else {
      r.name = "v";
      r.name += std::to_string(r.id);  // (not "v" + ...: GCC 12 warns falsely of an overlapping memcpy there)
    }
    UNIAD_CHECK(named != name_of.end() || !used.count(r.name), "trace_graph: the name '", r.name,
                "' is given to another Variable than the one numbered ", r.id);
    if (v->grad_fn) {
      r.op = v->grad_fn->op;
      for (const auto& in : v->grad_fn->inputs) r.inputs.push_back(in ? id_of.at(in.get()) : -1);
    }
    r.value = v;
    records.push_back(std::move(r));
  }
  return records;
}

void write_graph(h5::File& file, const std::vector<GraphRecord>& records, const std::string& group,
                 const std::string& value_group, const std::string& grad_group) {
  const int64_t N = int64_t(records.size());
  UNIAD_CHECK(N > 0, "write_graph: ", file.path(), ": no records to write under ", group);
  int64_t K = 1, R = 1;
  for (const GraphRecord& r : records) {
    K = std::max<int64_t>(K, int64_t(r.inputs.size()));
    R = std::max<int64_t>(R, r.value->data.dim());
  }
  std::vector<std::string> names, ops;
  std::vector<int64_t> inputs(size_t(N * K), -1), shapes(size_t(N * R), -1), requires_grad;
  for (const GraphRecord& r : records) {
    names.push_back(r.name);
    ops.push_back(r.op);
    for (size_t k = 0; k < r.inputs.size(); ++k) inputs[size_t(r.id * K) + k] = r.inputs[k];
    const Shape& s = r.value->data.shape();
    for (size_t d = 0; d < s.size(); ++d) shapes[size_t(r.id * R) + d] = s[d];
    requires_grad.push_back(r.value->requires_grad ? 1 : 0);
  }
  file.write_strings(group + "/name", names);
  file.write_strings(group + "/op", ops);
  file.write(group + "/inputs", Tensor::from_indices(inputs, {N, K}));  // [N, K]
  file.write(group + "/shape", Tensor::from_indices(shapes, {N, R}));   // [N, R]
  file.write(group + "/requires_grad", Tensor::from_indices(requires_grad, {N}));
  for (const GraphRecord& r : records) {
    file.write(value_group + "/" + r.name, r.value->data);
    if (r.value->grad.defined()) file.write(grad_group + "/" + r.name, r.value->grad);
  }
}

}  // namespace uniad::ag

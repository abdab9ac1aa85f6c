#include "autograd/variable.h"

#include <chrono>
#include <unordered_map>
#include <unordered_set>

#include "autograd/profile.h"
#include "tensor/elementwise.h"

namespace uniad::ag {

namespace {
thread_local bool g_grad_enabled = true;
}

bool grad_enabled() { return g_grad_enabled; }
NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = previous_; }

Variable::Variable(Tensor data, bool requires_grad) : impl_(std::make_shared<VariableImpl>()) {
  UNIAD_CHECK(data.defined(), "Variable: cannot wrap an undefined tensor");
  if (requires_grad)
    UNIAD_CHECK(data.dtype() != DType::Int64, "Variable: an int64 tensor ", shape_str(data.shape()),
                " cannot require gradients");
  impl_->data = std::move(data);
  impl_->requires_grad = requires_grad;
}

const Tensor& Variable::data() const {
  UNIAD_CHECK(impl_, "Variable: use of an undefined Variable");
  return impl_->data;
}
Tensor& Variable::mutable_data() {
  UNIAD_CHECK(impl_, "Variable: use of an undefined Variable");
  return impl_->data;
}
const Tensor& Variable::grad() const { return impl_->grad; }
void Variable::set_grad(const Tensor& grad) {
  UNIAD_CHECK(!grad.defined() || grad.shape() == shape(), "set_grad: gradient ", shape_str(grad.shape()),
              " for a variable of shape ", shape_str(shape()));
  impl_->grad = grad;
}
void Variable::zero_grad() { impl_->grad = Tensor(); }
bool Variable::requires_grad() const { return impl_ && impl_->requires_grad; }
Variable& Variable::requires_grad_(bool value) {
  UNIAD_CHECK(is_leaf(), "requires_grad_: only leaves can change requires_grad (this one came from ",
              grad_fn_name(), ")");
  impl_->requires_grad = value;
  return *this;
}
bool Variable::is_leaf() const { return !impl_->grad_fn; }
void Variable::retain_grad() { impl_->retains_grad = true; }
std::string Variable::grad_fn_name() const { return impl_->grad_fn ? impl_->grad_fn->op : ""; }

Variable Variable::detach() const { return Variable(data(), false); }

Variable make_result(Tensor value, const char* op, const std::vector<Variable>& inputs, BackwardFn backward) {
  profiler::charge_since_mark(op);
  Variable out(std::move(value), false);
  if (!grad_enabled()) return out;
  bool any = false;
  for (const Variable& v : inputs) any = any || v.requires_grad();
  if (!any) return out;
  auto node = std::make_shared<Node>();
  node->op = op;
  for (const Variable& v : inputs) node->inputs.push_back(v.impl());
  node->backward = std::move(backward);
  out.impl()->requires_grad = true;
  out.impl()->grad_fn = std::move(node);
  return out;
}

void Variable::backward(bool retain_graph) const {
  UNIAD_CHECK(numel() == 1, "backward: called without a seed on a variable of shape ", shape_str(shape()),
              "; pass a seed gradient of that shape");
  backward(Tensor::ones(shape(), dtype(), data().device()), retain_graph);
}

// Accumulates `g` into a leaf's gradient: a fresh copy the first time (so later in-place
// updates of the gradient never alias an op's buffers), a sum afterwards.
static void accumulate(Tensor& slot, const Tensor& g) {
  slot = slot.defined() ? ops::add(slot, g) : g.clone();
}

void Variable::backward(const Tensor& seed, bool retain_graph) const {
  UNIAD_CHECK(requires_grad(), "backward: the variable does not require gradients (no input requires_grad, "
              "or it was computed under NoGradGuard)");
  UNIAD_CHECK(seed.shape() == shape(), "backward: seed ", shape_str(seed.shape()), " for a variable of shape ",
              shape_str(shape()));
  NoGradGuard no_grad;  // backward closures compute with plain tensors

  // Reverse topological order by iterative depth-first search.
  std::vector<VariableImpl*> order;
  std::unordered_set<VariableImpl*> visited;
  std::vector<std::pair<VariableImpl*, size_t>> stack{{impl_.get(), 0}};
  visited.insert(impl_.get());
  while (!stack.empty()) {
    auto& [v, next] = stack.back();
    if (v->grad_fn && next < v->grad_fn->inputs.size()) {
      VariableImpl* child = v->grad_fn->inputs[next++].get();
      if (child && child->requires_grad && visited.insert(child).second) stack.push_back({child, 0});
    } else {
      order.push_back(v);
      stack.pop_back();
    }
  }

  std::unordered_map<VariableImpl*, Tensor> grads;
  grads[impl_.get()] = seed;
  const bool profiling = profiler::enabled();
  if (profiling) profiler::set_phase("backward");
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    VariableImpl* v = *it;
    auto found = grads.find(v);
    if (found == grads.end()) continue;
    const Tensor g = found->second;
    grads.erase(found);
    const auto started = profiling ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    auto charge = [&](const char* op) {
      if (profiling)
        profiler::charge(op, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    };
    if (!v->grad_fn) {
      accumulate(v->grad, g);
      charge("accumulate_grad");
      continue;
    }
    if (v->retains_grad) accumulate(v->grad, g);
    Node& node = *v->grad_fn;
    UNIAD_CHECK(node.backward, "backward: the graph through '", node.op,
                "' was already freed by an earlier backward; pass retain_graph=true to the first one");
    std::vector<Tensor> input_grads = node.backward(g);
    UNIAD_CHECK(input_grads.size() == node.inputs.size(), "backward of ", node.op, ": returned ",
                input_grads.size(), " gradients for ", node.inputs.size(), " inputs");
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      VariableImpl* in = node.inputs[i].get();
      if (!in || !in->requires_grad || !input_grads[i].defined()) continue;
      UNIAD_CHECK(input_grads[i].shape() == in->data.shape(), "backward of ", node.op, ": gradient ",
                  shape_str(input_grads[i].shape()), " for input ", i, " of shape ", shape_str(in->data.shape()));
      Tensor& slot = grads[in];
      slot = slot.defined() ? ops::add(slot, input_grads[i]) : input_grads[i];
    }
    if (!retain_graph) {
      node.backward = nullptr;  // frees the captured tensors
    }
    charge(node.op.c_str());
  }
  if (profiling) profiler::set_phase("forward");
}

}  // namespace uniad::ag

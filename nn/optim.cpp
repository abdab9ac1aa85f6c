#include "nn/optim.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "tensor/elementwise.h"
#include "tensor/optim_kernels.h"

namespace uniad::nn {

namespace {

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

std::string describe(const Tensor& t) { return cat(dtype_name(t.dtype()), " ", shape_str(t.shape())); }

Tensor step_tensor(int64_t value) { return Tensor::from_indices({value}, {}); }

// A copy of t on the host that later changes to t do not reach.
Tensor host_copy(const Tensor& t) { return t.device().is_cpu() ? t.clone() : t.to(Device::cpu()); }

}  // namespace

// ---- Optimizer ------------------------------------------------------------------------------

Optimizer::Optimizer(std::vector<NamedParameter> params, double lr, std::vector<std::string> buffers)
    : params_(std::move(params)), buffers_(std::move(buffers)), lr_(lr) {
  UNIAD_CHECK(!params_.empty(), "optimiser: got an empty parameter list");
  UNIAD_CHECK(lr >= 0, "optimiser: invalid learning rate ", lr);
  for (size_t i = 0; i < params_.size(); ++i) {
    const auto& [name, v] = params_[i];
    UNIAD_CHECK(v.defined(), "optimiser: parameter '", name, "' is an undefined Variable");
    UNIAD_CHECK(v.dtype() != DType::Int64, "optimiser: parameter '", name, "' is int64; only floats train");
    UNIAD_CHECK(v.data().is_contiguous(), "optimiser: parameter '", name, "' ", shape_str(v.shape()),
                " is a non-contiguous view; parameters are updated in place");
    UNIAD_CHECK(index_.emplace(name, i).second, "optimiser: parameter name '", name,
                "' appears twice; names are checkpoint paths and must be unique");
    Slot slot{step_tensor(0), {}};
    // Buffers live with their parameter; the step count stays on the host, which reads it.
    for (size_t b = 0; b < buffers_.size(); ++b)
      slot.buffers.push_back(Tensor::zeros(v.shape(), v.dtype(), v.data().device()));
    slots_.push_back(std::move(slot));
  }
}

void Optimizer::step() {
  for (size_t i = 0; i < params_.size(); ++i) {
    ag::Variable& p = params_[i].second;
    const Tensor& grad = p.grad();
    if (!grad.defined()) continue;  // no gradient this step: skipped, as in PyTorch
    int64_t& count = slots_[i].step.data<int64_t>()[0];
    update(p.mutable_data(), grad, count + 1, slots_[i].buffers);
    ++count;
  }
  ++step_count_;
}

void Optimizer::zero_grad() {
  for (auto& [_, p] : params_) p.zero_grad();
}

void Optimizer::set_lr(double lr) {
  UNIAD_CHECK(lr >= 0 && std::isfinite(lr), name(), "::set_lr: invalid learning rate ", lr);
  lr_ = lr;
}

std::vector<std::string> Optimizer::buffer_names() const {
  std::vector<std::string> names{"step"};
  names.insert(names.end(), buffers_.begin(), buffers_.end());
  return names;
}

const Tensor* Optimizer::find_state(const std::string& param, const std::string& buffer) const {
  const auto it = index_.find(param);
  if (it == index_.end()) return nullptr;
  const Slot& slot = slots_[it->second];
  if (buffer == "step") return &slot.step;
  for (size_t b = 0; b < buffers_.size(); ++b)
    if (buffers_[b] == buffer) return &slot.buffers[b];
  return nullptr;
}

const Tensor& Optimizer::state(const std::string& param, const std::string& buffer) const {
  UNIAD_CHECK(index_.count(param), name(), "::state: no parameter named '", param, "' (this optimiser has ",
              params_.size(), ", e.g. '", params_.front().first, "')");
  const Tensor* t = find_state(param, buffer);
  UNIAD_CHECK(t, name(), "::state: no buffer '", buffer, "' for '", param, "'; ", name(), " keeps ",
              join(buffer_names(), ", "));
  return *t;
}

OptimizerState Optimizer::export_state() const {
  OptimizerState out;
  out.step_count = step_count_;
  for (size_t i = 0; i < params_.size(); ++i) {
    out.entries.push_back({params_[i].first, "step", host_copy(slots_[i].step)});
    for (size_t b = 0; b < buffers_.size(); ++b)
      out.entries.push_back({params_[i].first, buffers_[b], host_copy(slots_[i].buffers[b])});
  }
  return out;
}

void Optimizer::restore_state(const OptimizerState& saved) {
  // Check everything before changing anything, and report every difference at once: a
  // checkpoint that does not fit usually differs in many places for one reason.
  std::vector<std::string> problems;
  if (saved.step_count < 0) problems.push_back(cat("step_count is ", saved.step_count));
  std::map<std::pair<std::string, std::string>, const Tensor*> given;
  for (const StateEntry& e : saved.entries) {
    const std::string where = e.param + "/" + e.buffer;
    if (!given.emplace(std::make_pair(e.param, e.buffer), &e.value).second)
      problems.push_back(where + ": appears twice in the saved state");
    else if (!index_.count(e.param))
      problems.push_back(where + ": saved, but this optimiser has no parameter '" + e.param + "'");
    else if (!find_state(e.param, e.buffer))
      problems.push_back(cat(where, ": saved, but ", name(), " keeps no buffer '", e.buffer, "' (it keeps ",
                             join(buffer_names(), ", "), ")"));
  }
  for (const auto& [param, _] : params_) {
    for (const std::string& buffer : buffer_names()) {
      const std::string where = param + "/" + buffer;
      const Tensor& mine = *find_state(param, buffer);
      const auto it = given.find({param, buffer});
      if (it == given.end()) {
        problems.push_back(where + ": missing from the saved state");
      } else if (!it->second->defined()) {
        problems.push_back(where + ": saved tensor is undefined");
      } else if (it->second->dtype() != mine.dtype() || it->second->shape() != mine.shape()) {
        problems.push_back(cat(where, ": saved ", describe(*it->second), ", expected ", describe(mine)));
      } else if (buffer == "step" && it->second->item() < 0) {
        problems.push_back(cat(where, ": negative step count ", it->second->item()));
      }
    }
  }
  if (!problems.empty()) {
    const size_t shown = std::min<size_t>(problems.size(), 20);
    std::string msg = cat(name(), "::restore_state: the saved state does not fit this optimiser (",
                          problems.size(), " problem", problems.size() == 1 ? "" : "s", "):");
    for (size_t i = 0; i < shown; ++i) msg += "\n  " + problems[i];
    if (shown < problems.size()) msg += cat("\n  ... and ", problems.size() - shown, " more");
    throw Error(msg);
  }
  // Copy values into the existing tensors (moving them to a parameter's device where it is not
  // the host): the caller's saved state stays independent of us.
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string& param = params_[i].first;
    slots_[i].step.copy_(*given.at({param, "step"}));
    for (size_t b = 0; b < buffers_.size(); ++b) slots_[i].buffers[b].copy_(*given.at({param, buffers_[b]}));
  }
  step_count_ = saved.step_count;
}

// ---- AdamW ----------------------------------------------------------------------------------

AdamW::AdamW(std::vector<NamedParameter> params, const AdamWOptions& options)
    : Optimizer(std::move(params), options.lr, {"exp_avg", "exp_avg_sq"}), options_(options) {
  // The same checks, in the same words, as torch.optim.AdamW.
  UNIAD_CHECK(options.eps >= 0, "AdamW: invalid epsilon value ", options.eps);
  UNIAD_CHECK(options.beta1 >= 0 && options.beta1 < 1, "AdamW: invalid beta parameter at index 0: ", options.beta1);
  UNIAD_CHECK(options.beta2 >= 0 && options.beta2 < 1, "AdamW: invalid beta parameter at index 1: ", options.beta2);
  UNIAD_CHECK(options.weight_decay >= 0, "AdamW: invalid weight_decay value ", options.weight_decay);
}

void AdamW::update(Tensor& param, const Tensor& grad, int64_t step, std::vector<Tensor>& buffers) {
  ops::AdamWUpdate u;
  u.lr = lr();  // the current lr, which a schedule may have changed since construction
  u.beta1 = options_.beta1;
  u.beta2 = options_.beta2;
  u.eps = options_.eps;
  u.weight_decay = options_.weight_decay;
  u.step = step;
  ops::adamw_update_(param, grad, buffers[0], buffers[1], u);
}

// ---- SGD ------------------------------------------------------------------------------------

namespace {
// Plain SGD keeps no buffer; with momentum it keeps one velocity per parameter.
std::vector<std::string> sgd_buffers(const SgdOptions& o) {
  return o.momentum != 0 ? std::vector<std::string>{"momentum_buffer"} : std::vector<std::string>{};
}
}  // namespace

SGD::SGD(std::vector<NamedParameter> params, const SgdOptions& options)
    : Optimizer(std::move(params), options.lr, sgd_buffers(options)), options_(options) {
  UNIAD_CHECK(options.momentum >= 0, "SGD: invalid momentum value ", options.momentum);
  UNIAD_CHECK(options.weight_decay >= 0, "SGD: invalid weight_decay value ", options.weight_decay);
  UNIAD_CHECK(!options.nesterov || (options.momentum > 0 && options.dampening == 0),
              "SGD: nesterov momentum requires a momentum and zero dampening (momentum ", options.momentum,
              ", dampening ", options.dampening, ")");
}

void SGD::update(Tensor& param, const Tensor& grad, int64_t step, std::vector<Tensor>& buffers) {
  ops::SgdUpdate u;
  u.lr = lr();
  u.momentum = options_.momentum;
  u.dampening = options_.dampening;
  u.weight_decay = options_.weight_decay;
  u.nesterov = options_.nesterov;
  u.first = step == 1;  // torch starts the buffer as a copy of the first gradient
  Tensor none;
  ops::sgd_update_(param, grad, buffers.empty() ? none : buffers[0], u);
}

// ---- clipping -------------------------------------------------------------------------------

double clip_grad_norm(const std::vector<NamedParameter>& params, double max_norm) {
  // torch takes the norm of the per-parameter norms; summing all squares first is the same
  // number with fewer roundings.
  // The running sum is a float64 scalar on the gradients' device: on a GPU the total is read
  // once, not once per parameter. The additions run in parameter order on every device.
  Tensor sum_sq;  // []
  for (const auto& [_, p] : params) {
    if (!p.grad().defined()) continue;
    const Tensor s = ops::sum_of_squares_tensor(p.grad());
    sum_sq = sum_sq.defined() ? ops::add(sum_sq, s) : s;
  }
  const double total = sum_sq.defined() ? std::sqrt(sum_sq.item()) : 0.0;
  // std::min keeps a NaN coefficient (NaN < 1 is false), as torch.clamp does.
  const double coef = std::min(max_norm / (total + 1e-6), 1.0);
  if (coef == 1.0) return total;  // multiplying by 1 would change nothing
  for (const auto& [_, p] : params) {
    if (!p.grad().defined()) continue;
    // Scale a copy when the gradient is a view: the tensor it views may be someone else's.
    Tensor g = p.grad().is_contiguous() ? p.grad() : p.grad().contiguous();
    ops::scale_(g, coef);
    if (!g.shares_storage(p.grad())) {
      ag::Variable owner = p;  // a handle to the same parameter
      owner.set_grad(g);
    }
  }
  return total;
}

}  // namespace uniad::nn

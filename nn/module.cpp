#include "nn/module.h"

namespace uniad::nn {

ag::Variable Module::register_parameter(const std::string& name, Tensor value) {
  for (const auto& [existing, _] : params_)
    UNIAD_CHECK(existing != name, "register_parameter: '", name, "' registered twice");
  ag::Variable v(std::move(value), /*requires_grad=*/true);
  params_.emplace_back(name, v);
  return v;
}

void Module::collect(const std::string& prefix, std::vector<NamedParameter>& out) const {
  for (const auto& [name, v] : params_) out.emplace_back(prefix + name, v);
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out);
}

std::vector<NamedParameter> Module::named_parameters() const {
  std::vector<NamedParameter> out;
  collect("", out);
  return out;
}

std::vector<ag::Variable> Module::parameters() const {
  std::vector<ag::Variable> out;
  for (auto& [_, v] : named_parameters()) out.push_back(v);
  return out;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (const auto& [_, v] : named_parameters()) n += v.numel();
  return n;
}

ag::Variable Module::parameter(const std::string& name) const {
  for (const auto& [n, v] : named_parameters())
    if (n == name) return v;
  throw Error(cat("Module::parameter: no parameter named '", name, "' (this module has ", named_parameters().size(),
                  " parameters)"));
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [_, child] : children_) child->train(on);
}

void Module::to(Device device) {
  for (auto& [_, v] : params_) {
    v.zero_grad();
    v.mutable_data() = v.data().to(device);
  }
  for (auto& [_, child] : children_) child->to(device);
  device_ = device;
  on_device_change(device);
}

void Module::zero_grad() {
  for (auto& [_, v] : named_parameters()) v.zero_grad();
}

}  // namespace uniad::nn

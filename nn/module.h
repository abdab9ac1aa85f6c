#pragma once
// The one Module base: named parameters, child modules, train/eval mode.
//
// Parameter names are hierarchical, built from the names given at registration
// ("decoder.layers.2.cross_attn.in_proj_weight"); they are also the checkpoint paths.
// Concrete modules register their parameters and children in the constructor and keep them in
// ordinary members for use in forward().
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/variable.h"

namespace uniad::nn {

using NamedParameter = std::pair<std::string, ag::Variable>;

class Module {
 public:
  virtual ~Module() = default;
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Every trainable parameter below this module, depth first in registration order.
  std::vector<NamedParameter> named_parameters() const;
  std::vector<ag::Variable> parameters() const;
  int64_t num_parameters() const;  // total element count
  // The parameter at a hierarchical name; throws naming the module tree's names if absent.
  ag::Variable parameter(const std::string& name) const;

  void train(bool on = true);  // recursive
  void eval() { train(false); }
  bool is_training() const { return training_; }
  void zero_grad();
  // Moves every parameter below this module to `device` in place (the Variables keep their
  // identity, so optimisers and holders of parameters() see the move) and drops gradients.
  // Modules that keep constant tensors outside their parameters override on_device_change.
  void to(Device device);
  Device device() const { return device_; }

 protected:
  // Called by to() after the parameters moved, for constants a module keeps itself.
  virtual void on_device_change(Device device) {}
  ag::Variable register_parameter(const std::string& name, Tensor value);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    children_.emplace_back(name, module);
    return module;
  }

 private:
  void collect(const std::string& prefix, std::vector<NamedParameter>& out) const;

  std::vector<NamedParameter> params_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
  Device device_ = Device::cpu();
};

// An ordered list of modules of one kind, named "0", "1", ... like torch.nn.ModuleList.
template <typename M>
class ModuleList : public Module {
 public:
  void push_back(std::shared_ptr<M> module) {
    items_.push_back(register_module(std::to_string(items_.size()), std::move(module)));
  }
  size_t size() const { return items_.size(); }
  M& operator[](size_t i) const { return *items_.at(i); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

 private:
  std::vector<std::shared_ptr<M>> items_;
};

}  // namespace uniad::nn

#pragma once
// Optimisers over named parameters, and global-norm gradient clipping.
//
// AdamW (what UniAD trains with) and SGD follow torch.optim in PyTorch 1.13 with foreach=False:
// the same arithmetic in the same order and precision, checked against PyTorch's own numbers in
// tests/test_optim_golden.cpp. The per-element work is one fused kernel per parameter
// (tensor/optim_kernels.h).
//
// State. As in torch.optim, each parameter has its own state: "step", the number of updates it
// has received (int64 [], on the host), and the optimiser's buffers (AdamW: exp_avg, exp_avg_sq;
// SGD with momentum: momentum_buffer), each of the parameter's shape, dtype and device. State is
// addressed by parameter name and buffer name, which is also where a checkpoint keeps it:
//   /optimizer/<parameter name>/<buffer name>
// Unlike torch, the buffers exist from the start (zeros, step 0) rather than appearing at a
// parameter's first gradient, so every checkpoint has the same layout. The first update of a
// zero buffer gives exactly the numbers torch gets from its freshly created one.
//
// A parameter without a gradient (grad undefined) is skipped by step(), state and all, as in
// PyTorch; its own step count then lags the optimiser's step_count().
#include <string>
#include <unordered_map>
#include <vector>

#include "nn/module.h"

namespace uniad::nn {

// One state tensor, named the way a checkpoint names it.
struct StateEntry {
  std::string param;   // "decoder.layers.0.linear1.weight"
  std::string buffer;  // "step", "exp_avg", ...
  Tensor value;        // "step": int64 []; buffers: the parameter's shape and dtype
};

// Everything an optimiser needs to continue exactly where it stopped. Hyperparameters are not
// in it: they come from the configuration, and the lr from the schedule at step_count.
struct OptimizerState {
  int64_t step_count = 0;           // calls of step()
  std::vector<StateEntry> entries;  // parameter order; "step" first within a parameter
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  virtual const char* name() const = 0;  // "AdamW", used in messages

  // Updates every parameter that has a gradient. Gradients are left in place.
  void step();
  // Drops every gradient (like zero_grad(set_to_none=True)); the next backward starts anew.
  void zero_grad();

  double lr() const { return lr_; }
  void set_lr(double lr);
  int64_t step_count() const { return step_count_; }
  const std::vector<NamedParameter>& params() const { return params_; }

  // ---- state ----
  // The state names every parameter has: "step", then the optimiser's buffers.
  std::vector<std::string> buffer_names() const;
  // One state tensor by name, e.g. state("decoder.layers.0.linear1.weight", "exp_avg").
  // Throws naming the parameter or buffer when there is no such thing.
  const Tensor& state(const std::string& param, const std::string& buffer) const;
  // A deep copy of all state, on the host whatever the parameters' device (checkpoints write it
  // from there): later steps do not change it.
  OptimizerState export_state() const;
  // Copies saved state in. Every (parameter, buffer) of this optimiser must be present once,
  // with the right dtype and shape, and nothing else may be; otherwise it throws, listing
  // every difference, and leaves this optimiser untouched.
  void restore_state(const OptimizerState& saved);

 protected:
  Optimizer(std::vector<NamedParameter> params, double lr, std::vector<std::string> buffers);
  // Updates one parameter in place. `step` counts this update (1 the first time); `buffers`
  // are the parameter's state in the order given to the constructor.
  virtual void update(Tensor& param, const Tensor& grad, int64_t step, std::vector<Tensor>& buffers) = 0;

 private:
  struct Slot {
    Tensor step;                  // int64 []
    std::vector<Tensor> buffers;  // parallel to buffers_
  };
  const Tensor* find_state(const std::string& param, const std::string& buffer) const;

  std::vector<NamedParameter> params_;
  std::vector<Slot> slots_;  // parallel to params_
  std::unordered_map<std::string, size_t> index_;  // parameter name -> position
  std::vector<std::string> buffers_;               // the optimiser's buffer names, without "step"
  double lr_;
  int64_t step_count_ = 0;
};

// torch.optim.AdamW's defaults. UniAD uses lr 1e-4 and weight_decay 1e-4.
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
};

// Adam with decoupled weight decay: the decay shrinks the weights directly, outside the
// adaptive scaling, instead of being added to the gradient (Loshchilov & Hutter, 2019).
class AdamW : public Optimizer {
 public:
  explicit AdamW(std::vector<NamedParameter> params, const AdamWOptions& options = {});
  const char* name() const override { return "AdamW"; }
  const AdamWOptions& options() const { return options_; }  // lr here is the initial lr

 protected:
  void update(Tensor& param, const Tensor& grad, int64_t step, std::vector<Tensor>& buffers) override;

 private:
  AdamWOptions options_;
};

// torch.optim.SGD's options (there, lr has no default).
struct SgdOptions {
  double lr = 1e-2;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;  // L2 penalty added to the gradient (coupled, unlike AdamW)
  bool nesterov = false;    // needs momentum > 0 and dampening 0
};

class SGD : public Optimizer {
 public:
  explicit SGD(std::vector<NamedParameter> params, const SgdOptions& options = {});
  const char* name() const override { return "SGD"; }
  const SgdOptions& options() const { return options_; }

 protected:
  void update(Tensor& param, const Tensor& grad, int64_t step, std::vector<Tensor>& buffers) override;

 private:
  SgdOptions options_;
};

// Scales all gradients together so that their global L2 norm (as if concatenated into one
// vector) is at most max_norm, like torch.nn.utils.clip_grad_norm_: coefficient
// max_norm / (norm + 1e-6), clamped to 1. Parameters without a gradient are ignored. Returns
// the norm before clipping (0 when no parameter has a gradient). As in torch (with
// error_if_nonfinite=False), a NaN or infinite norm is returned and the gradients are scaled by
// the resulting NaN or 0: check the returned norm before stepping. Sums of squares are in double.
double clip_grad_norm(const std::vector<NamedParameter>& params, double max_norm);

}  // namespace uniad::nn

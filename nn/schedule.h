#pragma once
// Learning-rate schedules as pure functions of a counter.
//
// lr_at(step) depends on nothing but `step` (an epoch or an iteration: the training loop
// decides what it counts), so resuming needs no schedule state beyond that counter, and a
// plot of the whole schedule is a loop over lr_at. torch's schedulers instead update the lr
// recursively (StepLR multiplies by gamma at each drop); the closed forms here agree with them
// to the last bit or two of a double (compared in tests/test_optim_golden.cpp).
//
// Typical use, once per epoch before the epoch's optimiser steps:
//   schedule.apply(optimizer, epoch);
#include <cstdint>
#include <string>

#include "nn/optim.h"

namespace uniad::nn {

class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  // The learning rate for counter value `step` >= 0.
  virtual double lr_at(int64_t step) const = 0;
  // One line for logs: "StepLR(base_lr=0.0001, step_size=800, gamma=0.1)".
  virtual std::string str() const = 0;
  // Sets the optimiser's lr to lr_at(step).
  void apply(Optimizer& optimizer, int64_t step) const { optimizer.set_lr(lr_at(step)); }
};

// The same lr at every step.
class ConstantLR : public LrSchedule {
 public:
  explicit ConstantLR(double lr);
  double lr_at(int64_t step) const override;
  std::string str() const override;

 private:
  double lr_;
};

// base_lr * gamma^floor(step / step_size), like torch.optim.lr_scheduler.StepLR.
// UniAD: StepLR(1e-4, 800, 0.1) over 1000 epochs.
class StepLR : public LrSchedule {
 public:
  StepLR(double base_lr, int64_t step_size, double gamma = 0.1);
  double lr_at(int64_t step) const override;
  std::string str() const override;

 private:
  double base_lr_;
  int64_t step_size_;
  double gamma_;
};

// Optional linear warm-up, then half a cosine from base_lr down to eta_min, then eta_min:
//   step <  W:      base_lr * (step + 1) / (W + 1)      (never 0, rising towards base_lr)
//   W <= step <= T: eta_min + (base_lr - eta_min) * (1 + cos(pi (step - W) / (T - W))) / 2
//   step >  T:      eta_min
// W = warmup_steps, T = total_steps (warm-up included). Without warm-up this is
// torch.optim.lr_scheduler.CosineAnnealingLR(T_max=T) for steps 0..T (which, unlike this
// one, climbs back up after T).
class CosineLR : public LrSchedule {
 public:
  CosineLR(double base_lr, int64_t total_steps, double eta_min = 0, int64_t warmup_steps = 0);
  double lr_at(int64_t step) const override;
  std::string str() const override;

 private:
  double base_lr_;
  int64_t total_steps_;
  double eta_min_;
  int64_t warmup_steps_;
};

}  // namespace uniad::nn

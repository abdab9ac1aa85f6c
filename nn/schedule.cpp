#include "nn/schedule.h"

#include <cmath>
#include <numbers>

namespace uniad::nn {

namespace {
void check_step(int64_t step, const char* who) { UNIAD_CHECK(step >= 0, who, "::lr_at: negative step ", step); }
void check_lr(double lr, const char* who, const char* what) {
  UNIAD_CHECK(lr >= 0 && std::isfinite(lr), who, ": invalid ", what, " ", lr);
}
}  // namespace

// ---- ConstantLR -----------------------------------------------------------------------------

ConstantLR::ConstantLR(double lr) : lr_(lr) { check_lr(lr, "ConstantLR", "lr"); }

double ConstantLR::lr_at(int64_t step) const {
  check_step(step, "ConstantLR");
  return lr_;
}

std::string ConstantLR::str() const { return cat("ConstantLR(lr=", lr_, ")"); }

// ---- StepLR ---------------------------------------------------------------------------------

StepLR::StepLR(double base_lr, int64_t step_size, double gamma)
    : base_lr_(base_lr), step_size_(step_size), gamma_(gamma) {
  check_lr(base_lr, "StepLR", "base_lr");
  UNIAD_CHECK(step_size > 0, "StepLR: step_size must be positive, got ", step_size);
  UNIAD_CHECK(gamma > 0 && std::isfinite(gamma), "StepLR: invalid gamma ", gamma);
}

double StepLR::lr_at(int64_t step) const {
  check_step(step, "StepLR");
  const int64_t drops = step / step_size_;
  // std::pow with an integer-valued exponent: gamma^1 is gamma exactly, so the first drop gives
  // the same double as torch's base_lr * gamma; later drops may differ from torch's repeated
  // multiplication in the last bit.
  return drops == 0 ? base_lr_ : base_lr_ * std::pow(gamma_, static_cast<double>(drops));
}

std::string StepLR::str() const {
  return cat("StepLR(base_lr=", base_lr_, ", step_size=", step_size_, ", gamma=", gamma_, ")");
}

// ---- CosineLR -------------------------------------------------------------------------------

CosineLR::CosineLR(double base_lr, int64_t total_steps, double eta_min, int64_t warmup_steps)
    : base_lr_(base_lr), total_steps_(total_steps), eta_min_(eta_min), warmup_steps_(warmup_steps) {
  check_lr(base_lr, "CosineLR", "base_lr");
  check_lr(eta_min, "CosineLR", "eta_min");
  UNIAD_CHECK(warmup_steps >= 0 && warmup_steps < total_steps, "CosineLR: need 0 <= warmup_steps < total_steps, got ",
              warmup_steps, " and ", total_steps);
}

double CosineLR::lr_at(int64_t step) const {
  check_step(step, "CosineLR");
  if (step < warmup_steps_) return base_lr_ * static_cast<double>(step + 1) / static_cast<double>(warmup_steps_ + 1);
  if (step >= total_steps_) return eta_min_;
  const double progress = static_cast<double>(step - warmup_steps_) / static_cast<double>(total_steps_ - warmup_steps_);
  return eta_min_ + (base_lr_ - eta_min_) * (1 + std::cos(std::numbers::pi * progress)) / 2;
}

std::string CosineLR::str() const {
  return cat("CosineLR(base_lr=", base_lr_, ", total_steps=", total_steps_, ", eta_min=", eta_min_,
             ", warmup_steps=", warmup_steps_, ")");
}

}  // namespace uniad::nn

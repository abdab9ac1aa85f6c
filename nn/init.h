#pragma once
// Parameter initialisers, in place on a parameter's value, drawing from a seeded Generator.
// The formulas follow torch.nn.init so that models start from the same distributions.
#include "autograd/variable.h"
#include "tensor/random.h"

namespace uniad::nn::init {

// U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)); fans of a [out, in, ...] weight.
void xavier_uniform_(ag::Variable& w, Generator& gen, double gain = 1.0);
void normal_(ag::Variable& w, Generator& gen, double mean = 0.0, double std = 1.0);
void uniform_(ag::Variable& w, Generator& gen, double low, double high);
void zeros_(ag::Variable& w);
void ones_(ag::Variable& w);
// PyTorch's default for Linear and Conv2d: kaiming_uniform(a = sqrt 5) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
void default_linear_(ag::Variable& weight, ag::Variable* bias, Generator& gen);

// fan_in and fan_out of a weight [out, in, k...] (receptive field multiplies both).
std::pair<int64_t, int64_t> fans(const Shape& shape);

}  // namespace uniad::nn::init

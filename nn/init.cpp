#include "nn/init.h"

#include <cmath>

namespace uniad::nn::init {

std::pair<int64_t, int64_t> fans(const Shape& shape) {
  UNIAD_CHECK(shape.size() >= 2, "init: fans need a weight with at least 2 axes, got ", shape_str(shape));
  int64_t receptive = 1;
  for (size_t i = 2; i < shape.size(); ++i) receptive *= shape[i];
  return {shape[1] * receptive, shape[0] * receptive};
}

void xavier_uniform_(ag::Variable& w, Generator& gen, double gain) {
  const auto [fan_in, fan_out] = fans(w.shape());
  const double a = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  uniform_(w, gen, -a, a);
}

void normal_(ag::Variable& w, Generator& gen, double mean, double std) { uniad::normal_(w.mutable_data(), mean, std, gen); }

void uniform_(ag::Variable& w, Generator& gen, double low, double high) {
  uniad::uniform_(w.mutable_data(), low, high, gen);
}

void zeros_(ag::Variable& w) { w.mutable_data().fill_(0.0); }
void ones_(ag::Variable& w) { w.mutable_data().fill_(1.0); }

void default_linear_(ag::Variable& weight, ag::Variable* bias, Generator& gen) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fans(weight.shape()).first));
  uniform_(weight, gen, -bound, bound);
  if (bias && bias->defined()) uniform_(*bias, gen, -bound, bound);
}

}  // namespace uniad::nn::init

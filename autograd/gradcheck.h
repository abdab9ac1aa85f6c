#pragma once
// Finite-difference gradient checking in float64.
//
// For y = f(inputs), the check draws a fixed random weight w of y's shape and compares the
// analytic gradient of L = sum(w * y) (one backward with seed w) against central differences
// (L(x + eps e_i) - L(x - eps e_i)) / (2 eps) for every element of every input.
#include <functional>
#include <string>
#include <vector>

#include "autograd/variable.h"

namespace uniad::ag {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-6;
  double rtol = 1e-5;
  uint64_t seed = 1234;
};

struct GradcheckResult {
  bool ok = true;
  double max_abs_diff = 0;  // largest |analytic - numeric| over all checked elements
  std::string report;       // the first mismatches, with input, element and both values
};

using GradcheckFn = std::function<Variable(const std::vector<Variable>&)>;

// The numbers gradcheck compares against: central differences of L = sum(weight * f(inputs))
// with respect to every element of every input, one tensor per input (of its shape). `weight`
// has f's output shape; undefined means ones (for a one-element loss: the gradient of the loss
// itself). `inputs` must be float64; they are copied, never changed.
std::vector<Tensor> finite_difference_gradients(const GradcheckFn& f, const std::vector<Tensor>& inputs,
                                                const Tensor& weight = Tensor(), double eps = 1e-6);

// `inputs` must be float64. Each becomes a leaf that requires grad; f may make any views
// (transposes, slices, broadcasts) of them internally.
GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs, const GradcheckOptions& opt = {});

}  // namespace uniad::ag

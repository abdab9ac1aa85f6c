#include "autograd/gradcheck.h"

#include <cmath>
#include <sstream>

#include "tensor/elementwise.h"
#include "tensor/random.h"
#include "tensor/reduce.h"

namespace uniad::ag {

namespace {
double weighted_sum(const Tensor& y, const Tensor& w) { return ops::sum(ops::mul(y, w)).item(); }

void check_float64(const std::vector<Tensor>& inputs, const char* caller) {
  for (size_t i = 0; i < inputs.size(); ++i)
    UNIAD_CHECK(inputs[i].dtype() == DType::Float64, caller, ": input ", i, " is ", dtype_name(inputs[i].dtype()),
                " ", shape_str(inputs[i].shape()), "; finite differences need float64");
}

// The multi-index of element `flat` of a contiguous tensor with these strides.
Shape unravel(int64_t flat, const Shape& strides) {
  Shape index(strides.size());
  for (size_t d = 0; d < strides.size(); ++d) {
    index[d] = flat / strides[d];
    flat %= strides[d];
  }
  return index;
}
}  // namespace

std::vector<Tensor> finite_difference_gradients(const GradcheckFn& f, const std::vector<Tensor>& inputs,
                                                const Tensor& weight, double eps) {
  check_float64(inputs, "finite_difference_gradients");
  NoGradGuard no_grad;  // only values are needed
  std::vector<Variable> vars;
  for (const Tensor& t : inputs) vars.emplace_back(t.clone());
  Tensor w = weight;
  if (!w.defined()) w = Tensor::ones(f(vars).shape(), DType::Float64);
  std::vector<Tensor> grads;
  for (Variable& v : vars) {
    Tensor& x = v.mutable_data();
    Tensor g = Tensor::zeros(x.shape(), DType::Float64);  // same shape as input
    const Shape strides = contiguous_strides(x.shape());
    for (int64_t flat = 0; flat < x.numel(); ++flat) {
      const Shape index = unravel(flat, strides);
      const double original = x.at(index);
      x.set(index, original + eps);
      const double plus = weighted_sum(f(vars).data(), w);
      x.set(index, original - eps);
      const double minus = weighted_sum(f(vars).data(), w);
      x.set(index, original);
      g.set(index, (plus - minus) / (2 * eps));
    }
    grads.push_back(g);
  }
  return grads;
}

GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs, const GradcheckOptions& opt) {
  check_float64(inputs, "gradcheck");
  std::vector<Variable> vars;
  for (const Tensor& t : inputs) vars.emplace_back(t.clone(), true);
  Variable y = f(vars);
  UNIAD_CHECK(y.dtype() == DType::Float64, "gradcheck: output is ", dtype_name(y.dtype()), ", expected float64");
  Generator gen(opt.seed);
  const Tensor w = rand_normal(y.shape(), 0.0, 1.0, gen, DType::Float64);
  y.backward(w);
  const std::vector<Tensor> numeric = finite_difference_gradients(f, inputs, w, opt.eps);

  GradcheckResult result;
  std::ostringstream report;
  int reported = 0;
  for (size_t i = 0; i < vars.size(); ++i) {
    const Tensor& x = vars[i].data();
    const Tensor analytic = vars[i].grad().defined() ? vars[i].grad() : Tensor::zeros(x.shape(), DType::Float64);
    const Shape strides = contiguous_strides(x.shape());
    for (int64_t flat = 0; flat < x.numel(); ++flat) {
      const Shape index = unravel(flat, strides);
      const double expected = numeric[i].at(index);
      const double got = analytic.at(index);
      const double diff = std::abs(got - expected);
      result.max_abs_diff = std::max(result.max_abs_diff, diff);
      if (!(diff <= opt.atol + opt.rtol * std::abs(expected))) {
        result.ok = false;
        if (reported++ < 5)
          report << "input " << i << " element " << shape_str(index) << ": analytic " << got << ", numeric "
                 << expected << '\n';
      }
    }
  }
  result.report = report.str();
  return result;
}

}  // namespace uniad::ag

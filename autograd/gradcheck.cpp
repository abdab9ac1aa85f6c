#include "autograd/gradcheck.h"

#include <cmath>
#include <sstream>

#include "tensor/elementwise.h"
#include "tensor/random.h"
#include "tensor/reduce.h"

namespace uniad::ag {

namespace {
double weighted_sum(const Tensor& y, const Tensor& w) { return ops::sum(ops::mul(y, w)).item(); }
}  // namespace

GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs, const GradcheckOptions& opt) {
  std::vector<Variable> vars;
  for (size_t i = 0; i < inputs.size(); ++i) {
    UNIAD_CHECK(inputs[i].dtype() == DType::Float64, "gradcheck: input ", i, " is ", dtype_name(inputs[i].dtype()),
                " ", shape_str(inputs[i].shape()), "; finite differences need float64");
    vars.emplace_back(inputs[i].clone(), true);
  }
  Variable y = f(vars);
  UNIAD_CHECK(y.dtype() == DType::Float64, "gradcheck: output is ", dtype_name(y.dtype()), ", expected float64");
  Generator gen(opt.seed);
  const Tensor w = rand_normal(y.shape(), 0.0, 1.0, gen, DType::Float64);
  y.backward(w);

  GradcheckResult result;
  std::ostringstream report;
  int reported = 0;
  for (size_t i = 0; i < vars.size(); ++i) {
    Tensor& x = vars[i].mutable_data();
    const Tensor analytic = vars[i].grad().defined() ? vars[i].grad() : Tensor::zeros(x.shape(), DType::Float64);
    const int64_t n = x.numel();
    const Shape strides = contiguous_strides(x.shape());
    for (int64_t flat = 0; flat < n; ++flat) {
      Shape index(x.dim());
      for (int64_t d = 0, rem = flat; d < x.dim(); ++d) {
        index[d] = rem / strides[d];
        rem %= strides[d];
      }
      const double original = x.at(index);
      double plus, minus;
      {
        NoGradGuard no_grad;
        x.set(index, original + opt.eps);
        plus = weighted_sum(f(vars).data(), w);
        x.set(index, original - opt.eps);
        minus = weighted_sum(f(vars).data(), w);
        x.set(index, original);
      }
      const double numeric = (plus - minus) / (2 * opt.eps);
      const double got = analytic.at(index);
      const double diff = std::abs(got - numeric);
      result.max_abs_diff = std::max(result.max_abs_diff, diff);
      if (!(diff <= opt.atol + opt.rtol * std::abs(numeric))) {
        result.ok = false;
        if (reported++ < 5)
          report << "input " << i << " element " << shape_str(index) << ": analytic " << got << ", numeric "
                 << numeric << '\n';
      }
    }
  }
  result.report = report.str();
  return result;
}

}  // namespace uniad::ag

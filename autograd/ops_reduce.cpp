// Reductions. Their backward broadcasts the output gradient back over the reduced axes.
#include "autograd/functions.h"
#include "tensor/elementwise.h"
#include "tensor/reduce.h"

namespace uniad::ag {

namespace {
// Reinserts reduced axes (as size 1) into a gradient computed without keepdim.
Tensor unreduce(const Tensor& g, const Shape& input_shape, const Axes& axes, bool keepdim) {
  if (keepdim) return g;
  const int64_t ndim = static_cast<int64_t>(input_shape.size());
  std::vector<bool> reduced(ndim, axes.empty());
  for (int64_t a : axes) reduced[normalize_axis(a, ndim, "reduce backward")] = true;
  Shape shape;
  for (int64_t i = 0; i < ndim; ++i) shape.push_back(reduced[i] ? 1 : input_shape[i]);
  return g.reshape(shape);
}
}  // namespace

Variable sum(const Variable& x, const Axes& axes, bool keepdim) {
  const Shape in_shape = x.shape();
  return make_result(ops::sum(x.data(), axes, keepdim), "sum", {x}, [=](const Tensor& g) {
    return std::vector<Tensor>{unreduce(g, in_shape, axes, keepdim).expand(in_shape).contiguous()};
  });
}

Variable mean(const Variable& x, const Axes& axes, bool keepdim) {
  const Shape in_shape = x.shape();
  Tensor out = ops::mean(x.data(), axes, keepdim);
  const double count = static_cast<double>(x.numel()) / static_cast<double>(std::max<int64_t>(out.numel(), 1));
  return make_result(out, "mean", {x}, [=](const Tensor& g) {
    return std::vector<Tensor>{ops::mul_scalar(unreduce(g, in_shape, axes, keepdim).expand(in_shape), 1.0 / count)};
  });
}

Variable var(const Variable& x, const Axes& axes, bool keepdim, int64_t correction) {
  const Tensor v = x.data();
  Tensor out = ops::var(v, axes, keepdim, correction);
  const double count = static_cast<double>(v.numel()) / static_cast<double>(std::max<int64_t>(out.numel(), 1));
  return make_result(out, "var", {x}, [=](const Tensor& g) {
    // d var / dx_i = 2 (x_i - mean) / (n - correction)
    const Tensor centered = ops::sub(v, ops::mean(v, axes, true));
    const Tensor scale = ops::mul_scalar(unreduce(g, v.shape(), axes, keepdim), 2.0 / (count - correction));
    return std::vector<Tensor>{ops::mul(centered, scale)};
  });
}

Variable max(const Variable& x, int64_t axis, bool keepdim) {
  const Shape in_shape = x.shape();
  ops::MaxResult r = ops::max(x.data(), axis, keepdim);
  const Tensor indices = r.indices;
  return make_result(r.values, "max", {x}, [=](const Tensor& g) {
    return std::vector<Tensor>{ops::max_backward(g, indices, in_shape, axis, keepdim)};
  });
}

}  // namespace uniad::ag

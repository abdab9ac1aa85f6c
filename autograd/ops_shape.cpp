// Views and joins. Views share storage with their input; their backward maps the gradient
// back through the inverse view (or into a zero tensor for slices).
#include "autograd/functions.h"
#include "tensor/join.h"
#include "tensor/reduce.h"

namespace uniad::ag {

Variable reshape(const Variable& x, const Shape& shape) {
  const Shape in_shape = x.shape();
  return make_result(x.data().reshape(shape), "reshape", {x},
                     [in_shape](const Tensor& g) { return std::vector<Tensor>{g.reshape(in_shape)}; });
}

Variable permute(const Variable& x, const std::vector<int64_t>& order) {
  Tensor out = x.data().permute(order);
  std::vector<int64_t> inverse(order.size());
  for (size_t i = 0; i < order.size(); ++i) inverse[normalize_axis(order[i], x.dim(), "permute")] = static_cast<int64_t>(i);
  return make_result(out, "permute", {x}, [inverse](const Tensor& g) { return std::vector<Tensor>{g.permute(inverse)}; });
}

Variable transpose(const Variable& x, int64_t a, int64_t b) {
  return make_result(x.data().transpose(a, b), "transpose", {x},
                     [a, b](const Tensor& g) { return std::vector<Tensor>{g.transpose(a, b)}; });
}

Variable slice(const Variable& x, int64_t axis, int64_t start, int64_t end, int64_t step) {
  const Shape in_shape = x.shape();
  const DType dtype = x.dtype();
  return make_result(x.data().slice(axis, start, end, step), "slice", {x}, [=](const Tensor& g) {
    Tensor full = Tensor::zeros(in_shape, dtype, g.device());
    full.slice(axis, start, end, step).copy_(g);
    return std::vector<Tensor>{full};
  });
}

Variable select(const Variable& x, int64_t axis, int64_t index) {
  const Shape in_shape = x.shape();
  const DType dtype = x.dtype();
  return make_result(x.data().select(axis, index), "select", {x}, [=](const Tensor& g) {
    Tensor full = Tensor::zeros(in_shape, dtype, g.device());
    full.select(axis, index).copy_(g);
    return std::vector<Tensor>{full};
  });
}

Variable expand(const Variable& x, const Shape& shape) {
  const Shape in_shape = x.shape();
  return make_result(x.data().expand(shape), "expand", {x},
                     [in_shape](const Tensor& g) { return std::vector<Tensor>{ops::sum_to_shape(g, in_shape)}; });
}

Variable unsqueeze(const Variable& x, int64_t axis) {
  const Shape in_shape = x.shape();
  return make_result(x.data().unsqueeze(axis), "unsqueeze", {x},
                     [in_shape](const Tensor& g) { return std::vector<Tensor>{g.reshape(in_shape)}; });
}

Variable squeeze(const Variable& x, int64_t axis) {
  const Shape in_shape = x.shape();
  return make_result(x.data().squeeze(axis), "squeeze", {x},
                     [in_shape](const Tensor& g) { return std::vector<Tensor>{g.reshape(in_shape)}; });
}

Variable contiguous(const Variable& x) {
  return make_result(x.data().contiguous(), "contiguous", {x},
                     [](const Tensor& g) { return std::vector<Tensor>{g}; });
}

Variable concat(const std::vector<Variable>& xs, int64_t axis) {
  std::vector<Tensor> values;
  std::vector<int64_t> sizes;
  for (const Variable& x : xs) {
    values.push_back(x.data());
    sizes.push_back(x.data().dim() > 0 ? x.size(axis) : 0);
  }
  return make_result(ops::concat(values, axis), "concat", xs, [sizes, axis](const Tensor& g) {
    std::vector<Tensor> grads;
    int64_t start = 0;
    for (int64_t n : sizes) {
      grads.push_back(g.slice(axis, start, start + n));
      start += n;
    }
    return grads;
  });
}

std::vector<Variable> split(const Variable& x, const std::vector<int64_t>& sizes, int64_t axis) {
  int64_t total = 0;
  for (int64_t n : sizes) total += n;
  UNIAD_CHECK(total == x.size(axis), "split: sizes add up to ", total, " but axis ", axis, " of shape ",
              shape_str(x.shape()), " has ", x.size(axis));
  std::vector<Variable> parts;
  int64_t start = 0;
  for (int64_t n : sizes) {
    parts.push_back(slice(x, axis, start, start + n));
    start += n;
  }
  return parts;
}

Variable stack(const std::vector<Variable>& xs, int64_t axis) {
  UNIAD_CHECK(!xs.empty(), "stack: no variables given");
  std::vector<Variable> parts;
  for (const Variable& x : xs) parts.push_back(unsqueeze(x, normalize_axis(axis, x.dim() + 1, "stack")));
  return concat(parts, axis);
}

}  // namespace uniad::ag

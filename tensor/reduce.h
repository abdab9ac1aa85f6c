#pragma once
// Reductions over axes. `axes` empty means every axis. keepdim keeps reduced axes as size 1.
#include <vector>

#include "tensor/tensor.h"

namespace uniad::ops {

using Axes = std::vector<int64_t>;

Tensor sum(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
// Variance with `correction` (0 = population variance as in layer norm, 1 = unbiased).
Tensor var(const Tensor& x, const Axes& axes = {}, bool keepdim = false, int64_t correction = 0);

// Maximum along one axis, with the index of the first maximum (int64), like torch.max(x, dim).
struct MaxResult {
  Tensor values;
  Tensor indices;
};
MaxResult max(const Tensor& x, int64_t axis, bool keepdim = false);
// Maximum over all elements (shape []).
Tensor max_all(const Tensor& x);

// Gradient routing for max: a zero tensor of `input_shape` with grad[i] written at indices[i]
// along `axis`. grad and indices have the reduced shape (keepdim or not, as given).
Tensor max_backward(const Tensor& grad, const Tensor& indices, const Shape& input_shape, int64_t axis, bool keepdim);

// Sums a broadcast result back down to `shape` (the reverse of broadcasting).
Tensor sum_to_shape(const Tensor& x, const Shape& shape);

}  // namespace uniad::ops

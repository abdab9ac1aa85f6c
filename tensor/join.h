#pragma once
// Joining tensors along an axis.
#include <vector>

#include "tensor/tensor.h"

namespace uniad::ops {

// Tensors that agree on every axis but `axis`, joined along it.
Tensor concat(const std::vector<Tensor>& xs, int64_t axis);
// Tensors of one shape, joined along a new axis.
Tensor stack(const std::vector<Tensor>& xs, int64_t axis);

}  // namespace uniad::ops

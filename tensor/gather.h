#pragma once
// Row gather (embedding lookup, index_select along axis 0) and its scatter-add backward.
// Autograd wraps these kernels in ag::embedding (autograd/ops_nn.cpp).
#include "tensor/tensor.h"

namespace uniad::ops {

// out[p, :] = weight[indices[p], :] for every position p of `indices`.
// weight [V, D] float, indices int64 of any shape [...] -> out [..., D], contiguous.
// Every index must lie in [0, V); the error names the index, its position, V and both shapes.
// `op` names the caller in error messages.
Tensor gather_rows(const Tensor& weight, const Tensor& indices, const char* op = "gather_rows");

// The backward of gather_rows: grad_weight[v, :] = sum of grad[p, :] over positions p with
// indices[p] == v. A row picked twice receives the sum of both gradients; a row never picked
// receives zeros. grad [..., D], indices [...] -> [num_rows, D].
Tensor scatter_add_rows(const Tensor& grad, const Tensor& indices, int64_t num_rows,
                        const char* op = "scatter_add_rows");

}  // namespace uniad::ops

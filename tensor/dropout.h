#pragma once
// Inverted dropout, forward and backward, with the mask drawn in parallel from the stateless
// stream of tensor/random.h: element i (row-major in x's shape) is kept when
// counter_uniform(key, i) >= p, so the mask depends on the key alone, never on x's strides or
// the number of threads. The mask is kept as one byte per element (a float mask would be four).
// Autograd wraps these kernels in ag::dropout (autograd/ops_nn.cpp).
#include <cstdint>
#include <memory>
#include <vector>

#include "tensor/tensor.h"

namespace uniad::ops {

// Which elements one dropout call kept: keep[i] is 1 or 0, row-major over `shape`, and equals
// counter_uniform(key, i) >= p. A GPU forward stores no bytes (keep stays null): its backward
// redraws the mask from the key, which is cheaper there than reading a stored one.
struct DropoutMask {
  Shape shape;
  double p = 0;
  std::shared_ptr<const std::vector<uint8_t>> keep;  // CPU forward only
  uint64_t key = 0;                                  // the stream the mask was drawn from
};

struct DropoutResult {
  Tensor y;  // x's shape, contiguous: x * keep / (1 - p)
  DropoutMask mask;
};

// Zeroes each element of x (any strided view) with probability p in [0, 1) and scales the
// rest by 1 / (1 - p), in one pass that also records the mask. A dropped NaN or inf gives NaN
// (x * 0), as PyTorch's x * mask.
DropoutResult dropout_forward(const Tensor& x, double p, uint64_t key);

// dx = g * keep / (1 - p); grad has the mask's shape.
Tensor dropout_backward(const Tensor& grad, const DropoutMask& mask);

}  // namespace uniad::ops

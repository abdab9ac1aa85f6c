#pragma once
// Shapes and strides: small helpers shared by every kernel.
#include <cstdint>
#include <string>
#include <vector>

namespace uniad {

using Shape = std::vector<int64_t>;

int64_t numel_of(const Shape& shape);
// Row-major (C order) strides, in elements.
Shape contiguous_strides(const Shape& shape);
// "[2, 3, 4]"
std::string shape_str(const Shape& shape);
// NumPy broadcasting of two shapes; throws naming `op` and both shapes when they do not broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
// Turns a possibly negative axis into 0..ndim-1; throws naming `op` when out of range.
int normalize_axis(int64_t axis, int64_t ndim, const char* op);

}  // namespace uniad

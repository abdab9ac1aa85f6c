#pragma once
// The loop under every elementwise kernel: walks a shape row by row (the last axis is the
// row) for K operands that each have their own strides (stride 0 = broadcast), and calls
//   fn(const int64_t* offsets /*K*/, int64_t count, const int64_t* inner_strides /*K*/)
// once per row. Rows are split across OpenMP threads when the work is large enough.
#include <array>
#include <cstdint>

#include "tensor/shape.h"

namespace uniad {

// Below this many elements a kernel stays on one thread: spawning costs more than it saves.
inline constexpr int64_t kParallelGrain = 1 << 15;

template <size_t K, typename Fn>
void strided_rows(const Shape& shape, const std::array<const Shape*, K>& strides, Fn&& fn) {
  const int ndim = static_cast<int>(shape.size());
  const int64_t total = numel_of(shape);
  if (total == 0) return;
  if (ndim == 0) {
    std::array<int64_t, K> zero{};
    std::array<int64_t, K> unit{};
    fn(zero.data(), int64_t{1}, unit.data());
    return;
  }
  const int64_t inner = shape[ndim - 1];
  const int64_t rows = total / inner;
  std::array<int64_t, K> inner_strides;
  for (size_t k = 0; k < K; ++k) inner_strides[k] = (*strides[k])[ndim - 1];

  auto run_row = [&](int64_t row) {
    std::array<int64_t, K> offsets{};
    int64_t rem = row;
    for (int d = ndim - 2; d >= 0; --d) {
      const int64_t i = rem % shape[d];
      rem /= shape[d];
      for (size_t k = 0; k < K; ++k) offsets[k] += i * (*strides[k])[d];
    }
    fn(offsets.data(), inner, inner_strides.data());
  };
  if (total >= kParallelGrain && rows > 1) {
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) run_row(r);
  } else {
    for (int64_t r = 0; r < rows; ++r) run_row(r);
  }
}

// Strides of `src` broadcast to `shape` (0 on axes that src lacks or has size 1).
inline Shape broadcast_strides(const Shape& src_shape, const Shape& src_strides, const Shape& shape) {
  Shape out(shape.size(), 0);
  const size_t lead = shape.size() - src_shape.size();
  for (size_t i = 0; i < src_shape.size(); ++i)
    out[lead + i] = src_shape[i] == 1 ? 0 : src_strides[i];
  return out;
}

}  // namespace uniad

#pragma once
// Element types. float32 is what models run in; float64 exists for finite-difference
// gradient checks, where float32's 7 digits are not enough.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tensor/error.h"

namespace uniad {

enum class DType { Float32, Float64, Int64 };

inline std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::Float32: return 4;
    case DType::Float64: return 8;
    case DType::Int64: return 8;
  }
  return 0;
}

inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int64: return "int64";
  }
  return "?";
}

template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::Float32; }
template <> constexpr DType dtype_of<double>() { return DType::Float64; }
template <> constexpr DType dtype_of<int64_t>() { return DType::Int64; }

// Calls fn(T{}) with T the C++ type of a floating dtype: the one place where kernels turn a
// runtime dtype into a template argument.
template <typename Fn>
decltype(auto) dispatch_float(DType t, const char* op, Fn&& fn) {
  switch (t) {
    case DType::Float32: return fn(float{});
    case DType::Float64: return fn(double{});
    default: break;
  }
  throw Error(cat(op, ": expected a floating dtype (float32 or float64), got ", dtype_name(t)));
}

}  // namespace uniad

#pragma once
// The table of CPU-vs-GPU cases, in the manner of ggml's test-backend-ops. A case builds its
// inputs on the CPU from fixed seeds, moves them to the device it is given, runs one op
// (forward, and backward through autograd where the op has one) and returns named results.
// tests/test_cuda_ops.cpp runs every case on the CPU and on the GPU and compares each result
// within the case's tolerance, printing one table row per result with the largest difference.
//
// Cases register themselves from tests/cuda_cases_<family>.cpp:
//   static RegisterCudaCases reg([](std::vector<CudaCase>& t) { t.push_back({...}); });
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "autograd/functions.h"
#include "tensor/matmul.h"
#include "tensor/random.h"

namespace uniad::test {

using NamedResults = std::vector<std::pair<std::string, Tensor>>;

struct CudaCase {
  std::string name;  // "binary add broadcast [4, 1, 3] x [5, 3] f32": family first
  double atol = 1e-5;
  double rtol = 1e-5;
  // The GPU's float32 matmul arithmetic while this case runs there (the CPU is always FP32);
  // TF32 and BF16 cases carry wider tolerances.
  ops::MatmulPrecision precision = ops::MatmulPrecision::Float32;
  std::function<NamedResults(Device)> run;
};

inline std::vector<CudaCase>& cuda_cases() {
  static std::vector<CudaCase> table;
  return table;
}

struct RegisterCudaCases {
  explicit RegisterCudaCases(const std::function<void(std::vector<CudaCase>&)>& add) { add(cuda_cases()); }
};

// A seeded N(0, 1) CPU tensor: the same values for the CPU and the GPU run of a case.
inline Tensor case_input(const Shape& shape, uint64_t seed, DType dtype = DType::Float32) {
  Generator gen(seed);
  return rand_normal(shape, 0.0, 1.0, gen, dtype);
}

// Runs y = f(leaves) on `device` with a leaf per input (all requiring gradients), then
// backward from sum(y * w) with a fixed random w of y's shape, so every gradient element is
// exercised with a different weight. Returns "y" and "d<i>" for input i.
inline NamedResults forward_backward(Device device, const std::vector<Tensor>& inputs,
                                     const std::function<ag::Variable(const std::vector<ag::Variable>&)>& f) {
  std::vector<ag::Variable> leaves;
  for (const Tensor& t : inputs) leaves.emplace_back(t.to(device), true);
  const ag::Variable y = f(leaves);
  const Tensor w = case_input(y.shape(), 4242, y.dtype()).to(device);
  ag::sum(ag::mul(y, ag::Variable(w))).backward();
  NamedResults out{{"y", y.data()}};
  // std::string("d").append(...), not "d" + ...: GCC 12 -O3 warns falsely (-Wrestrict) on the latter.
  for (size_t i = 0; i < leaves.size(); ++i) out.emplace_back(std::string("d").append(std::to_string(i)), leaves[i].grad());
  return out;
}

}  // namespace uniad::test

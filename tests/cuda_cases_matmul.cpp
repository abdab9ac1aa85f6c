// CPU-vs-GPU cases for matrix products: matmul (2-D, batched, broadcast, transposed and strided
// operands, odd and empty sizes), gemm_into, and the fused linear layer, forward and backward.
//
// Tolerances grow with the longest sum a result contains (depth: K forward, M or N in the
// gradients). With N(0, 1) inputs a sum of `depth` products has magnitude about sqrt(depth),
// and rounding each input to p mantissa bits perturbs it by about sqrt(depth) * 2^-p, so
//   fp32: atol 2e-5 * sqrt(depth), rtol 1e-4   (only the summation order differs from the CPU)
//   tf32: atol 3e-3 * sqrt(depth), rtol 1e-2   (10-bit mantissas: 2^-11 = 5e-4 per input)
//   bf16: atol 1.5e-2 * sqrt(depth), rtol 5e-2 (8-bit mantissas: 2^-9 = 2e-3 per input)
//   f64:  atol 1e-12 * sqrt(depth), rtol 1e-12
// each a few standard deviations above the expected error of the largest element.
#include <cmath>

#include "cuda_cases.h"

namespace uniad::test {
namespace {

using ops::MatmulPrecision;

struct Tolerance {
  double atol, rtol;
};

Tolerance tolerance(MatmulPrecision precision, int64_t depth, DType dtype = DType::Float32) {
  const double s = std::sqrt(static_cast<double>(std::max<int64_t>(depth, 1)));
  if (dtype == DType::Float64) return {1e-12 * s, 1e-12};
  switch (precision) {
    case MatmulPrecision::Float32: return {2e-5 * s, 1e-4};
    case MatmulPrecision::TF32: return {3e-3 * s, 1e-2};
    case MatmulPrecision::BF16: return {1.5e-2 * s, 5e-2};
  }
  return {0, 0};
}

CudaCase make_case(std::string name, MatmulPrecision precision, int64_t depth, DType dtype,
                   std::function<NamedResults(Device)> run) {
  const Tolerance t = tolerance(precision, depth, dtype);
  name += dtype == DType::Float64 ? " f64" : " f32";
  return {std::move(name), t.atol, t.rtol, precision, std::move(run)};
}

// matmul through autograd: y = a x b with both gradients.
CudaCase matmul_case(const std::string& name, const Shape& a, const Shape& b, MatmulPrecision precision,
                     DType dtype = DType::Float32) {
  const int64_t depth = std::max({a[a.size() - 2], a.back(), b.back()});
  return make_case("matmul " + name + " " + shape_str(a) + " x " + shape_str(b), precision, depth, dtype,
                   [a, b, dtype](Device d) {
                     return forward_backward(d, {case_input(a, 11, dtype), case_input(b, 12, dtype)},
                                             [](const std::vector<ag::Variable>& v) { return ag::matmul(v[0], v[1]); });
                   });
}

RegisterCudaCases matmul_cases([](std::vector<CudaCase>& t) {
  const MatmulPrecision fp32 = MatmulPrecision::Float32, tf32 = MatmulPrecision::TF32, bf16 = MatmulPrecision::BF16;
  // 2-D, odd sizes (not multiples of any tile), one-element axes.
  t.push_back(matmul_case("2-D", {33, 7}, {7, 257}, fp32));
  t.push_back(matmul_case("2-D", {257, 33}, {33, 7}, fp32));
  t.push_back(matmul_case("2-D 1x1", {1, 1}, {1, 1}, fp32));
  t.push_back(matmul_case("2-D row x column", {1, 33}, {33, 1}, fp32));
  t.push_back(matmul_case("2-D outer product", {257, 1}, {1, 7}, fp32));
  t.push_back(matmul_case("2-D", {33, 7}, {7, 257}, fp32, DType::Float64));
  // At the faster precisions.
  t.push_back(matmul_case("2-D", {65, 257}, {257, 33}, tf32));
  t.push_back(matmul_case("2-D", {65, 257}, {257, 33}, bf16));
  // Batched, and broadcast batch axes.
  t.push_back(matmul_case("batched", {3, 33, 17}, {3, 17, 7}, fp32));
  t.push_back(matmul_case("batched", {3, 33, 17}, {3, 17, 7}, fp32, DType::Float64));
  t.push_back(matmul_case("broadcast weight", {4, 7, 33}, {33, 257}, fp32));
  t.push_back(matmul_case("broadcast weight", {4, 7, 33}, {33, 257}, tf32));
  t.push_back(matmul_case("broadcast weight", {4, 7, 33}, {33, 257}, bf16));
  t.push_back(matmul_case("broadcast lhs", {7, 33}, {2, 3, 33, 5}, fp32));
  t.push_back(matmul_case("broadcast both", {2, 1, 5, 7}, {3, 7, 4}, fp32));  // [2, 1] against [3]: expanded copy
  t.push_back(matmul_case("broadcast both", {2, 1, 5, 7}, {1, 3, 7, 4}, fp32, DType::Float64));

  // Transposed operands, read in place by cuBLAS.
  for (DType dtype : {DType::Float32, DType::Float64})
    t.push_back(make_case("matmul transposed a^T x b^T [7, 33]^T x [257, 7]^T", fp32, 257, dtype, [dtype](Device d) {
      return forward_backward(d, {case_input({7, 33}, 13, dtype), case_input({257, 7}, 14, dtype)},
                              [](const std::vector<ag::Variable>& v) {
                                return ag::matmul(ag::transpose(v[0], 0, 1), ag::transpose(v[1], 0, 1));
                              });
    }));
  t.push_back(make_case("matmul batched transposed b [2, 9, 33] x [2, 17, 33]^T", fp32, 33, DType::Float32,
                        [](Device d) {
                          return forward_backward(d, {case_input({2, 9, 33}, 15), case_input({2, 17, 33}, 16)},
                                                  [](const std::vector<ag::Variable>& v) {
                                                    return ag::matmul(v[0], ag::transpose(v[1], -1, -2));
                                                  });
                        }));
  // Views cuBLAS cannot read in place: a permuted batch, a column-strided matrix, a row slice.
  t.push_back(make_case("matmul permuted batch [5, 3, 7] -> [3, 5, 7] x [3, 7, 4]", fp32, 7, DType::Float32,
                        [](Device d) {
                          const Tensor a = case_input({5, 3, 7}, 17).to(d).permute({1, 0, 2});
                          return NamedResults{{"y", ops::matmul(a, case_input({3, 7, 4}, 18).to(d))}};
                        }));
  t.push_back(make_case("matmul column-strided [9, 14] step 2 x [7, 5]", fp32, 7, DType::Float32, [](Device d) {
    const Tensor a = case_input({9, 14}, 19).to(d).slice(1, 0, 14, 2);  // strides (14, 2)
    return NamedResults{{"y", ops::matmul(a, case_input({7, 5}, 20).to(d))}};
  }));
  t.push_back(make_case("matmul sliced rows and columns [33, 40] -> [20, 33] x [33, 9]", fp32, 33, DType::Float32,
                        [](Device d) {
                          const Tensor a = case_input({33, 40}, 21).to(d).slice(0, 3, 23).slice(1, 4, 37);
                          return NamedResults{{"y", ops::matmul(a, case_input({33, 9}, 22).to(d))}};
                        }));
  t.push_back(make_case("matmul expanded weight [2, 4, 6] x [6, 3] -> [2, 6, 3]", fp32, 6, DType::Float32,
                        [](Device d) {
                          const Tensor b = case_input({6, 3}, 23).to(d).expand({2, 6, 3});  // batch stride 0
                          return NamedResults{{"y", ops::matmul(case_input({2, 4, 6}, 24).to(d), b)}};
                        }));
  // Empty results and empty sums.
  t.push_back(make_case("matmul empty [0, 5] x [5, 3]", fp32, 5, DType::Float32, [](Device d) {
    return NamedResults{{"y", ops::matmul(case_input({0, 5}, 25).to(d), case_input({5, 3}, 26).to(d))}};
  }));
  t.push_back(make_case("matmul empty sum [3, 0] x [0, 4]", fp32, 1, DType::Float32, [](Device d) {
    return NamedResults{{"y", ops::matmul(case_input({3, 0}, 27).to(d), case_input({0, 4}, 28).to(d))}};
  }));

  // gemm_into, overwriting and accumulating, with a transposed right operand.
  for (bool accumulate : {false, true}) {
    const std::string mode = accumulate ? "accumulate" : "overwrite";
    t.push_back(make_case("gemm_into " + mode + " [33, 17] x [7, 17]^T", fp32, 17, DType::Float32,
                          [accumulate](Device d) {
                            Tensor out = case_input({33, 7}, 29).to(d);
                            const Tensor b = case_input({7, 17}, 31).to(d).transpose(0, 1);  // [17, 7], in place
                            ops::gemm_into(out, case_input({33, 17}, 30).to(d), b, accumulate);
                            return NamedResults{{"out", out}};
                          }));
  }
  t.push_back(make_case("gemm_into accumulate [9, 5] x [5, 4]", fp32, 5, DType::Float64, [](Device d) {
    Tensor out = case_input({9, 4}, 32, DType::Float64).to(d);
    ops::gemm_into(out, case_input({9, 5}, 33, DType::Float64).to(d), case_input({5, 4}, 34, DType::Float64).to(d),
                   true);
    return NamedResults{{"out", out}};
  }));

  // The fused linear layer (bias written first, the GEMM accumulating onto it), and the paper's
  // size once: 64 images x 196 tokens through a [272 -> 256] projection.
  auto linear_case = [](const Shape& x, int64_t out, MatmulPrecision precision, DType dtype) {
    const int64_t in = x.back();
    const int64_t depth = std::max(in, numel_of(x) / in);  // the weight gradient sums over all rows
    return make_case("linear " + shape_str(x) + " -> " + std::to_string(out), precision, depth, dtype,
                     [x, in, out, dtype](Device d) {
                       const std::vector<Tensor> inputs{case_input(x, 35, dtype), case_input({out, in}, 36, dtype),
                                                        case_input({out}, 37, dtype)};
                       return forward_backward(d, inputs, [](const std::vector<ag::Variable>& v) {
                         return ag::linear(v[0], v[1], v[2]);
                       });
                     });
  };
  t.push_back(linear_case({2, 7, 33}, 17, fp32, DType::Float32));
  t.push_back(linear_case({2, 7, 33}, 17, fp32, DType::Float64));
  t.push_back(linear_case({257, 1}, 1, fp32, DType::Float32));
  t.push_back(linear_case({64 * 196, 272}, 256, fp32, DType::Float32));
});

}  // namespace
}  // namespace uniad::test

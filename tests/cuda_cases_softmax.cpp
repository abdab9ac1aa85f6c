// CPU-vs-GPU cases for the row kernels: softmax (with an additive mask) and layer norm (with a
// residual), forward and backward through autograd. Row lengths cover the warp-per-row kernels
// (1, 7, 196, 257) and the block-per-row ones (1500), odd widths, strided views and float64.
#include <cmath>
#include <string>

#include "cuda_cases.h"
#include "tensor/layer_norm.h"
#include "tensor/softmax.h"
#include "uniad/neighbor_mask.h"

namespace uniad::test {
namespace {

using ag::Variable;

// An additive mask [rows, n]: N(0, 0.5) values, -inf where (3 i + 7 j) % 5 == 0, and row 1 (when
// there is one) -inf throughout, so one row of every slice is excluded entirely.
Tensor test_mask(int64_t rows, int64_t n, uint64_t seed, DType dtype = DType::Float32) {
  const auto values = case_input({rows, n}, seed, dtype).to_vector();
  std::vector<double> m(values.size());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < n; ++j) {
      const bool excluded = (3 * i + 7 * j) % 5 == 0 || (rows > 1 && i == 1);
      m[static_cast<size_t>(i * n + j)] = excluded ? -INFINITY : 0.5 * values[static_cast<size_t>(i * n + j)];
    }
  return Tensor::from_vector(m, {rows, n}, dtype);
}

std::string dims(int64_t a, int64_t b) { return cat("[", a, ", ", b, "]"); }

RegisterCudaCases softmax_cases([](std::vector<CudaCase>& t) {
  for (int64_t n : {1, 7, 196, 257, 1500}) {
    t.push_back({cat("softmax rows ", dims(5, n), " f32"), 1e-6, 1e-5, {}, [n](Device d) {
                   return forward_backward(d, {case_input({5, n}, 11)},
                                           [](const std::vector<Variable>& x) { return ag::softmax(x[0]); });
                 }});
    t.push_back({cat("softmax masked [3, 4, ", n, "] + mask ", dims(4, n), " f32"), 1e-6, 1e-5, {},
                 [n](Device d) {
                   const Tensor mask = test_mask(4, n, 12).to(d);  // broadcasts over the leading 3
                   return forward_backward(d, {case_input({3, 4, n}, 13)}, [&](const std::vector<Variable>& x) {
                     return ag::softmax(x[0], Variable(mask));
                   });
                 }});
  }
  t.push_back({"softmax transposed [33, 6] -> [6, 33] f32", 1e-6, 1e-5, {}, [](Device d) {
                 return forward_backward(d, {case_input({33, 6}, 14)}, [](const std::vector<Variable>& x) {
                   return ag::softmax(ag::transpose(x[0], 0, 1));
                 });
               }});
  t.push_back({"softmax transposed [1500, 3] -> [3, 1500] masked f32", 1e-6, 1e-5, {}, [](Device d) {
                 const Tensor mask = test_mask(1, 1500, 15).to(d);
                 return forward_backward(d, {case_input({1500, 3}, 16)}, [&](const std::vector<Variable>& x) {
                   return ag::softmax(ag::transpose(x[0], 0, 1), Variable(mask));
                 });
               }});
  t.push_back({"softmax masked [2, 7, 9] f64, mask gradient", 1e-12, 1e-12, {}, [](Device d) {
                 const Tensor mask = case_input({7, 9}, 17, DType::Float64);  // finite: it gets a gradient
                 return forward_backward(d, {case_input({2, 7, 9}, 18, DType::Float64), mask},
                                         [](const std::vector<Variable>& x) { return ag::softmax(x[0], x[1]); });
               }});
  t.push_back({"softmax masked [3, 4, 1500] f64", 1e-12, 1e-12, {}, [](Device d) {
                 const Tensor mask = test_mask(4, 1500, 19, DType::Float64).to(d);
                 return forward_backward(d, {case_input({3, 4, 1500}, 20, DType::Float64)},
                                         [&](const std::vector<Variable>& x) {
                                           return ag::softmax(x[0], Variable(mask));
                                         });
               }});
  t.push_back({"softmax attention rows [8, 196, 196] + neighbour mask f32", 1e-6, 1e-5, {}, [](Device d) {
                 const Tensor mask = neighbor_mask(14, 14, 3).to(d);  // [196, 196]
                 return forward_backward(d, {case_input({8, 196, 196}, 21)}, [&](const std::vector<Variable>& x) {
                   return ag::softmax(x[0], Variable(mask));
                 });
               }});
  t.push_back({"softmax empty [0, 7]", 0, 0, {}, [](Device d) {
                 return NamedResults{{"y", ops::softmax_forward(case_input({0, 7}, 22).to(d))}};
               }});
});

// Layer norm of x [rows, D] with the given affine parameters, through ag::layer_norm or, with
// a residual, ag::add_layer_norm. Leaves: x, then weight, bias, residual where present.
CudaCase layer_norm_case(int64_t rows, int64_t D, bool weight, bool bias, bool residual, DType dtype, double tol) {
  const std::string name = cat("layer_norm ", dims(rows, D), weight ? " weight" : "", bias ? " bias" : "",
                                residual ? " residual" : "", dtype == DType::Float64 ? " f64" : " f32");
  return {name, tol, tol, {}, [=](Device d) {
            std::vector<Tensor> inputs{case_input({rows, D}, 31, dtype)};
            if (weight) inputs.push_back(case_input({D}, 32, dtype));
            if (bias) inputs.push_back(case_input({D}, 33, dtype));
            if (residual) inputs.push_back(case_input({rows, D}, 34, dtype));
            return forward_backward(d, inputs, [=](const std::vector<Variable>& x) {
              size_t i = 1;
              const Variable w = weight ? x[i++] : Variable();
              const Variable b = bias ? x[i++] : Variable();
              return residual ? ag::add_layer_norm(x[0], x[i], w, b) : ag::layer_norm(x[0], w, b);
            });
          }};
}

RegisterCudaCases layer_norm_cases([](std::vector<CudaCase>& t) {
  for (int64_t D : {7, 256, 272, 1500}) {
    t.push_back(layer_norm_case(12, D, true, true, false, DType::Float32, 1e-5));
    t.push_back(layer_norm_case(12, D, true, true, true, DType::Float32, 1e-5));
  }
  t.push_back(layer_norm_case(1, 256, true, true, false, DType::Float32, 1e-5));
  t.push_back(layer_norm_case(12, 7, false, false, false, DType::Float32, 1e-5));
  t.push_back(layer_norm_case(12, 33, true, false, true, DType::Float32, 1e-5));
  t.push_back(layer_norm_case(12, 33, false, true, false, DType::Float32, 1e-5));
  t.push_back(layer_norm_case(12, 272, true, true, true, DType::Float64, 1e-12));
  t.push_back(layer_norm_case(3, 1500, false, true, true, DType::Float64, 1e-12));
  // The paper's token count for one batch item set: 64 images x 196 tokens, D = 256. The weight
  // and bias gradients sum 12544 rows, so their tolerance is wider.
  t.push_back(layer_norm_case(12544, 256, true, true, true, DType::Float32, 2e-4));
  t.push_back({"layer_norm transposed [256, 9] -> [9, 256] and residual f32", 1e-5, 1e-5, {}, [](Device d) {
                 return forward_backward(d, {case_input({256, 9}, 35), case_input({9, 256}, 36), case_input({256}, 37)},
                                         [](const std::vector<Variable>& x) {
                                           return ag::add_layer_norm(ag::transpose(x[0], 0, 1), x[1], x[2],
                                                                     Variable());
                                         });
               }});
  t.push_back({"layer_norm strided [4, 3, 7] -> [3, 4, 7] no affine f32", 1e-5, 1e-5, {}, [](Device d) {
                 return forward_backward(d, {case_input({4, 3, 7}, 38)}, [](const std::vector<Variable>& x) {
                   return ag::layer_norm(ag::transpose(x[0], 0, 1), Variable(), Variable());
                 });
               }});
  t.push_back({"layer_norm forward saves mean and rstd [5, 7, 33] f32", 1e-5, 1e-5, {}, [](Device d) {
                 const ops::LayerNormForward f = ops::layer_norm_forward(case_input({5, 7, 33}, 39).to(d), Tensor(),
                                                                         Tensor(), Tensor(), 1e-5);
                 return NamedResults{{"y", f.y}, {"input", f.input}, {"mean", f.mean}, {"rstd", f.rstd}};
               }});
});

}  // namespace
}  // namespace uniad::test

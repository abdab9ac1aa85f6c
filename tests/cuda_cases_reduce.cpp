// CPU-vs-GPU cases for the reductions (tensor/reduce.cpp, tensor/cuda/reduce.cu): sum and mean
// over each axis, several axes, all axes and keepdim; var with correction 0 and 1; max with the
// first maximum's index (ties and NaN); max_backward; sum_to_shape; empty reductions; the bias
// gradient's size. Both devices accumulate float32 sums in double, in different orders: float32
// cases allow 1e-5 relative, float64 cases 1e-12.
#include <limits>
#include <string>

#include "cuda_cases.h"
#include "tensor/elementwise.h"
#include "tensor/reduce.h"

namespace uniad::test {
namespace {

NamedResults one(const char* name, const Tensor& t) { return {{name, t}}; }
const char* tag(DType dtype) { return dtype == DType::Float64 ? "f64" : "f32"; }
double tol(DType dtype) { return dtype == DType::Float64 ? 1e-12 : 1e-5; }

// Values rounded to {-2, ..., 2} (sign of x plus sign of y): rows full of ties.
Tensor tied_input(const Shape& shape, uint64_t seed) {
  return ops::add(ops::unary(ops::UnaryOp::Sign, case_input(shape, seed)),
                  ops::unary(ops::UnaryOp::Sign, case_input(shape, seed + 1)));
}

void add_sum_cases(std::vector<CudaCase>& t) {
  for (DType dt : {DType::Float32, DType::Float64}) {
    const std::string suffix = std::string(" [4, 5, 6] ") + tag(dt);
    for (int64_t axis : {0, 1, 2, -1}) {
      t.push_back({"reduce sum axis " + std::to_string(axis) + suffix, tol(dt), tol(dt), {}, [dt, axis](Device d) {
                     const Tensor x = case_input({4, 5, 6}, 1, dt).to(d);
                     return NamedResults{{"sum", ops::sum(x, {axis})}, {"keepdim", ops::sum(x, {axis}, true)}};
                   }});
    }
    t.push_back({"reduce sum axes {0, 2} and all" + suffix, tol(dt), tol(dt), {}, [dt](Device d) {
                   const Tensor x = case_input({4, 5, 6}, 2, dt).to(d);
                   return NamedResults{{"02", ops::sum(x, {0, 2})},
                                       {"02k", ops::sum(x, {0, 2}, true)},
                                       {"all", ops::sum(x)},
                                       {"allk", ops::sum(x, {}, true)}};
                 }});
    t.push_back({"reduce mean axis 1, axes {0, 1} and all [33, 257] " + std::string(tag(dt)), tol(dt), tol(dt), {},
                 [dt](Device d) {
                   const Tensor x = case_input({33, 257}, 3, dt).to(d);
                   return NamedResults{{"1", ops::mean(x, {1})}, {"0k", ops::mean(x, {0}, true)}, {"all", ops::mean(x)}};
                 }});
  }
  t.push_back({"reduce sum bias gradient [12544, 256] axis 0 f32", 1e-4, 1e-5, {}, [](Device d) {
                 return one("y", ops::sum(case_input({12544, 256}, 4).to(d), {0}));
               }});
  t.push_back({"reduce sum rows of 1 and 7 elements [1000, 1], [1000, 7] f32", 1e-6, 1e-5, {}, [](Device d) {
                 return NamedResults{{"1", ops::sum(case_input({1000, 1}, 5).to(d), {1})},
                                     {"7", ops::sum(case_input({1000, 7}, 6).to(d), {1})}};
               }});
  // Few long rows take the two-pass path (partial sums per chunk, then their sum).
  t.push_back({"reduce sum and mean all [1000, 1000] f32", 1e-4, 1e-5, {}, [](Device d) {
                 const Tensor x = case_input({1000, 1000}, 7).to(d);
                 return NamedResults{{"sum", ops::sum(x)}, {"mean", ops::mean(x)}};
               }});
  t.push_back({"reduce sum axis 1 [3, 100003] keepdim f64", 1e-10, 1e-12, {}, [](Device d) {
                 return one("y", ops::sum(case_input({3, 100003}, 8, DType::Float64).to(d), {1}, true));
               }});
  t.push_back({"reduce sum of a transposed view [33, 7]^T axis 1 f32", 1e-6, 1e-5, {}, [](Device d) {
                 return one("y", ops::sum(case_input({33, 7}, 9).to(d).transpose(0, 1), {1}));
               }});
  t.push_back({"reduce sum and mean of a scalar [] f32", 0, 0, {}, [](Device d) {
                 const Tensor x = case_input({}, 10).to(d);
                 return NamedResults{{"sum", ops::sum(x)}, {"mean", ops::mean(x)}};
               }});
  t.push_back({"reduce sum and mean over an empty axis [0, 3] f32", 0, 0, {}, [](Device d) {
                 const Tensor x = case_input({0, 3}, 11).to(d);
                 return NamedResults{{"sum0", ops::sum(x, {0})},
                                     {"mean0", ops::mean(x, {0})},
                                     {"sum1", ops::sum(x, {1})},
                                     {"all", ops::sum(x)}};
               }});
}

void add_var_cases(std::vector<CudaCase>& t) {
  for (DType dt : {DType::Float32, DType::Float64}) {
    for (int64_t correction : {0, 1}) {
      t.push_back({"reduce var correction " + std::to_string(correction) + " [33, 257] " + tag(dt), tol(dt), tol(dt), {},
                   [dt, correction](Device d) {
                     const Tensor x = ops::add_scalar(case_input({33, 257}, 12, dt), 3.0).to(d);
                     return NamedResults{{"1", ops::var(x, {1}, false, correction)},
                                         {"0k", ops::var(x, {0}, true, correction)},
                                         {"all", ops::var(x, {}, false, correction)}};
                   }});
    }
  }
  t.push_back({"reduce var rows of 1 and 7 elements f64", 1e-12, 1e-12, {}, [](Device d) {
                 return NamedResults{{"7c1", ops::var(case_input({33, 7}, 13, DType::Float64).to(d), {1}, false, 1)},
                                     {"1c0", ops::var(case_input({5, 1}, 14, DType::Float64).to(d), {1}, false, 0)},
                                     {"1c1", ops::var(case_input({5, 1}, 15, DType::Float64).to(d), {1}, false, 1)}};
               }});
  t.push_back({"reduce var over an empty axis [0, 3] f32", 0, 0, {}, [](Device d) {
                 return one("y", ops::var(case_input({0, 3}, 16).to(d), {0}));
               }});
}

void add_max_cases(std::vector<CudaCase>& t) {
  for (DType dt : {DType::Float32, DType::Float64}) {
    for (int64_t axis : {0, 1, 2}) {
      t.push_back({"reduce max axis " + std::to_string(axis) + " [4, 5, 6] " + tag(dt), 0, 0, {}, [dt, axis](Device d) {
                     const ops::MaxResult r = ops::max(case_input({4, 5, 6}, 17, dt).to(d), axis);
                     const ops::MaxResult k = ops::max(case_input({4, 5, 6}, 17, dt).to(d), axis, true);
                     return NamedResults{{"v", r.values}, {"i", r.indices}, {"vk", k.values}, {"ik", k.indices}};
                   }});
    }
  }
  t.push_back({"reduce max ties: first maximum [33, 1000] and [1000, 7] f32", 0, 0, {}, [](Device d) {
                 const ops::MaxResult a = ops::max(tied_input({33, 1000}, 18).to(d), 1);
                 const ops::MaxResult b = ops::max(tied_input({1000, 7}, 20).to(d), 1);
                 const ops::MaxResult c = ops::max(tied_input({1000, 7}, 22).to(d), 0);
                 return NamedResults{{"v", a.values}, {"i", a.indices}, {"v7", b.values},
                                     {"i7", b.indices}, {"v0", c.values}, {"i0", c.indices}};
               }});
  t.push_back({"reduce max with NaN: the first NaN wins f32", 0, 0, {}, [](Device d) {
                 const double nan = std::numeric_limits<double>::quiet_NaN();
                 const Tensor x = Tensor::from_vector({1, nan, 3, nan, 2, 5, 5, 1, -1, -0.0, 0.0, -2}, {3, 4}).to(d);
                 const ops::MaxResult r = ops::max(x, 1);
                 return NamedResults{{"v", r.values}, {"i", r.indices}};
               }});
  t.push_back({"reduce max rows of 1 [7, 1] and of a transposed view f64", 0, 0, {}, [](Device d) {
                 const ops::MaxResult a = ops::max(case_input({7, 1}, 24, DType::Float64).to(d), 1);
                 const ops::MaxResult b = ops::max(case_input({33, 7}, 25, DType::Float64).to(d).transpose(0, 1), 1);
                 return NamedResults{{"v1", a.values}, {"i1", a.indices}, {"vt", b.values}, {"it", b.indices}};
               }});
  t.push_back({"reduce max_all [257, 33] and [100003] f32", 0, 0, {}, [](Device d) {
                 return NamedResults{{"a", ops::max_all(case_input({257, 33}, 26).to(d))},
                                     {"b", ops::max_all(case_input({100003}, 27).to(d))}};
               }});
  for (bool keepdim : {false, true}) {
    t.push_back({std::string("reduce max_backward axis 1 [4, 5, 6]") + (keepdim ? " keepdim" : "") + " f32", 0, 0, {},
                 [keepdim](Device d) {
                   const Tensor x = case_input({4, 5, 6}, 28).to(d);
                   const ops::MaxResult r = ops::max(x, 1, keepdim);
                   const Tensor g = case_input(r.values.shape(), 29).to(d);
                   return one("dx", ops::max_backward(g, r.indices, x.shape(), 1, keepdim));
                 }});
  }
}

void add_autograd_cases(std::vector<CudaCase>& t) {
  for (DType dt : {DType::Float32, DType::Float64}) {
    t.push_back({std::string("reduce ag sum, mean, var axes {0, 2} [4, 5, 6] ") + tag(dt), tol(dt), tol(dt), {},
                 [dt](Device d) {
                   return forward_backward(d, {case_input({4, 5, 6}, 30, dt)}, [](const std::vector<ag::Variable>& v) {
                     return ag::add(ag::add(ag::sum(v[0], {0, 2}), ag::mean(v[0], {0, 2})),
                                    ag::var(v[0], {0, 2}, false, 1));
                   });
                 }});
    t.push_back({std::string("reduce ag max axis -1 keepdim [33, 7] ") + tag(dt), tol(dt), tol(dt), {}, [dt](Device d) {
                   return forward_backward(d, {case_input({33, 7}, 31, dt)},
                                           [](const std::vector<ag::Variable>& v) { return ag::max(v[0], -1, true); });
                 }});
  }
}

void add_sum_to_shape_cases(std::vector<CudaCase>& t) {
  t.push_back({"reduce sum_to_shape [4, 5, 3] -> [5, 1], [1, 1, 3], [4, 5, 3] f32", 1e-6, 1e-5, {}, [](Device d) {
                 const Tensor x = case_input({4, 5, 3}, 32).to(d);
                 return NamedResults{{"51", ops::sum_to_shape(x, {5, 1})},
                                     {"113", ops::sum_to_shape(x, {1, 1, 3})},
                                     {"same", ops::sum_to_shape(x, {4, 5, 3})},
                                     {"scalar", ops::sum_to_shape(x, {})}};
               }});
  t.push_back({"reduce sum_to_shape bias [64, 196, 1024] -> [1024] f32", 1e-4, 1e-5, {}, [](Device d) {
                 return one("y", ops::sum_to_shape(case_input({64, 196, 1024}, 33).to(d), {1024}));
               }});
}

RegisterCudaCases reduce_cases([](std::vector<CudaCase>& t) {
  add_sum_cases(t);
  add_var_cases(t);
  add_max_cases(t);
  add_autograd_cases(t);
  add_sum_to_shape_cases(t);
});

}  // namespace
}  // namespace uniad::test

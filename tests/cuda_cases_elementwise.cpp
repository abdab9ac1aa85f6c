// CPU-vs-GPU cases for the elementwise family (tensor/elementwise.cpp, tensor/cuda/elementwise.cu):
// every BinaryOp and UnaryOp forward on contiguous, transposed, broadcast and scalar operands in
// float32 and float64, affine, pow, equal, in-place add_ into views, and the differentiable ag
// ops forward and backward (their backward passes use the *Grad ops, KeepWherePositive and
// sum_to_shape). The GPU's libm differs from the host's by an ulp or two: float32 cases allow
// 1e-5 relative, float64 cases 1e-12.
#include <cstdio>
#include <limits>
#include <string>

#include "cuda_cases.h"
#include "tensor/elementwise.h"

namespace uniad::test {
namespace {

using ops::BinaryOp;
using ops::UnaryOp;

NamedResults one(const char* name, const Tensor& t) { return {{name, t}}; }
const char* tag(DType dtype) { return dtype == DType::Float64 ? "f64" : "f32"; }
double tol(DType dtype) { return dtype == DType::Float64 ? 1e-12 : 1e-5; }

const BinaryOp kBinaryOps[] = {BinaryOp::Add,     BinaryOp::Sub,     BinaryOp::Mul,
                               BinaryOp::Div,     BinaryOp::Maximum, BinaryOp::Minimum,
                               BinaryOp::KeepWherePositive};

const UnaryOp kUnaryOps[] = {UnaryOp::Neg,      UnaryOp::Exp,       UnaryOp::Log,      UnaryOp::Sqrt,
                             UnaryOp::Rsqrt,    UnaryOp::Abs,       UnaryOp::Sign,     UnaryOp::Square,
                             UnaryOp::Reciprocal, UnaryOp::Relu,    UnaryOp::Relu6,    UnaryOp::Gelu,
                             UnaryOp::Sigmoid,  UnaryOp::Silu,      UnaryOp::Tanh,     UnaryOp::ReluGrad,
                             UnaryOp::Relu6Grad, UnaryOp::GeluGrad, UnaryOp::SiluGrad};
bool needs_positive(UnaryOp op) { return op == UnaryOp::Log || op == UnaryOp::Sqrt || op == UnaryOp::Rsqrt; }

// N(0, 4^2) inputs reach past Relu6's upper knee; |x| + 0.1 for the ops defined on x > 0.
Tensor unary_input(UnaryOp op, const Shape& shape, uint64_t seed, DType dtype) {
  const Tensor x = ops::mul_scalar(case_input(shape, seed, dtype), 4.0);
  return needs_positive(op) ? ops::add_scalar(ops::unary(UnaryOp::Abs, x), 0.1) : x;
}

// Positive inputs for the ag ops defined on x > 0.
Tensor positive_input(const Shape& shape, uint64_t seed, DType dtype) {
  return ops::add_scalar(ops::unary(UnaryOp::Abs, case_input(shape, seed, dtype)), 0.5);
}

void add_binary_cases(std::vector<CudaCase>& t) {
  for (BinaryOp op : kBinaryOps) {
    const std::string name = std::string("binary ") + ops::binary_name(op);
    t.push_back({name + " contiguous [257] x [257] f32", 1e-6, 1e-5, {}, [op](Device d) {
                   return one("y", ops::binary(op, case_input({257}, 1).to(d), case_input({257}, 2).to(d)));
                 }});
    for (DType dt : {DType::Float32, DType::Float64}) {
      t.push_back({name + " broadcast [4, 1, 3] x [5, 3] " + tag(dt), tol(dt), tol(dt), {}, [op, dt](Device d) {
                     return one("y", ops::binary(op, case_input({4, 1, 3}, 3, dt).to(d), case_input({5, 3}, 4, dt).to(d)));
                   }});
    }
    t.push_back({name + " transposed [33, 7]^T x [7, 33] f64", 1e-12, 1e-12, {}, [op](Device d) {
                   const Tensor a = case_input({33, 7}, 5, DType::Float64).to(d).transpose(0, 1);
                   return one("y", ops::binary(op, a, case_input({7, 33}, 6, DType::Float64).to(d)));
                 }});
    t.push_back({name + " scalar [] x [1000] f32", 1e-6, 1e-5, {}, [op](Device d) {
                   return one("y", ops::binary(op, case_input({}, 7).to(d), case_input({1000}, 8).to(d)));
                 }});
  }
  t.push_back({"binary maximum and minimum with NaN and ties f32", 0, 0, {}, [](Device d) {
                 const double nan = std::numeric_limits<double>::quiet_NaN();
                 const Tensor a = Tensor::from_vector({nan, 1, 2, -0.0, nan}, {5}).to(d);
                 const Tensor b = Tensor::from_vector({0, nan, 2, 0.0, nan}, {5}).to(d);
                 return NamedResults{{"max", ops::binary(BinaryOp::Maximum, a, b)},
                                     {"min", ops::binary(BinaryOp::Minimum, a, b)}};
               }});
  t.push_back({"binary add empty [0, 3] x [3] f32", 0, 0, {}, [](Device d) {
                 return one("y", ops::add(case_input({0, 3}, 9).to(d), case_input({3}, 10).to(d)));
               }});
}

void add_unary_cases(std::vector<CudaCase>& t) {
  for (UnaryOp op : kUnaryOps) {
    const std::string name = std::string("unary ") + ops::unary_name(op);
    t.push_back({name + " [1000] f32", 1e-6, 1e-5, {}, [op](Device d) {
                   return one("y", ops::unary(op, unary_input(op, {1000}, 11, DType::Float32).to(d)));
                 }});
    t.push_back({name + " transposed [33, 7]^T f64", 1e-12, 1e-12, {}, [op](Device d) {
                   return one("y", ops::unary(op, unary_input(op, {33, 7}, 12, DType::Float64).to(d).transpose(0, 1)));
                 }});
    t.push_back({name + " [1] f64", 1e-12, 1e-12, {}, [op](Device d) {
                   return one("y", ops::unary(op, unary_input(op, {1}, 13, DType::Float64).to(d)));
                 }});
  }
  t.push_back({"unary relu6 and relu6_grad at the knees f32", 0, 0, {}, [](Device d) {
                 const Tensor x = Tensor::from_vector({-1, 0, 0.5, 6, 7}, {5}).to(d);
                 return NamedResults{{"relu6", ops::unary(UnaryOp::Relu6, x)},
                                     {"grad", ops::unary(UnaryOp::Relu6Grad, x)}};
               }});
}

void add_scalar_op_cases(std::vector<CudaCase>& t) {
  for (DType dt : {DType::Float32, DType::Float64}) {
    t.push_back({std::string("affine -1.5 x + 0.25 [257] ") + tag(dt), tol(dt), tol(dt), {}, [dt](Device d) {
                   return one("y", ops::affine(case_input({257}, 14, dt).to(d), -1.5, 0.25));
                 }});
    for (double e : {2.0, 3.0, 0.5, -1.5}) {
      char label[64];
      std::snprintf(label, sizeof label, "pow %g [33] %s", e, tag(dt));
      t.push_back({label, tol(dt), tol(dt), {}, [dt, e](Device d) {
                     return one("y", ops::pow_scalar(positive_input({33}, 15, dt).to(d), e));
                   }});
    }
  }
  t.push_back({"affine of a strided slice [9, 7] step 2 f32", 1e-6, 1e-5, {}, [](Device d) {
                 return one("y", ops::affine(case_input({9, 7}, 16).to(d).slice(0, 0, 9, 2), 3.0, -1.0));
               }});
  t.push_back({"equal broadcast [4, 1, 3] x [5, 3] with ties f32", 0, 0, {}, [](Device d) {
                 // Rounded values: many pairs are equal.
                 const Tensor a = ops::unary(UnaryOp::Sign, case_input({4, 1, 3}, 17)).to(d);
                 const Tensor b = ops::unary(UnaryOp::Sign, case_input({5, 3}, 18)).to(d);
                 return one("y", ops::equal(a, b));
               }});
  for (DType dt : {DType::Float32, DType::Float64}) {
    t.push_back({std::string("add_ 0.5 * [7] into [33, 7] ") + tag(dt), tol(dt), tol(dt), {}, [dt](Device d) {
                   Tensor dst = case_input({33, 7}, 19, dt).to(d);
                   ops::add_(dst, case_input({7}, 20, dt).to(d), 0.5);
                   return one("dst", dst);
                 }});
  }
  t.push_back({"add_ into a transposed view [7, 33]^T += [33, 7] f32", 1e-6, 1e-5, {}, [](Device d) {
                 Tensor base = case_input({7, 33}, 21).to(d);
                 Tensor view = base.transpose(0, 1);
                 ops::add_(view, case_input({33, 7}, 22).to(d), -2.0);
                 return one("base", base);
               }});
  t.push_back({"add_ into a column slice [5, 8][:, 2:5] += [] f64", 1e-12, 1e-12, {}, [](Device d) {
                 Tensor base = case_input({5, 8}, 23, DType::Float64).to(d);
                 Tensor view = base.slice(1, 2, 5);
                 ops::add_(view, case_input({}, 24, DType::Float64).to(d), 1.0);
                 return one("base", base);
               }});
  t.push_back({"add_ contiguous [1000] f32", 1e-6, 1e-5, {}, [](Device d) {
                 Tensor dst = case_input({1000}, 25).to(d);
                 ops::add_(dst, case_input({1000}, 26).to(d), 0.75);
                 return one("dst", dst);
               }});
}

using AgUnary = ag::Variable (*)(const ag::Variable&);

void add_autograd_cases(std::vector<CudaCase>& t) {
  struct Binary {
    const char* name;
    ag::Variable (*f)(const ag::Variable&, const ag::Variable&);
  };
  for (const Binary& op : {Binary{"add", ag::add}, Binary{"sub", ag::sub}, Binary{"mul", ag::mul}, Binary{"div", ag::div}}) {
    for (DType dt : {DType::Float32, DType::Float64}) {
      t.push_back({std::string("elementwise ag ") + op.name + " broadcast [4, 1, 3] x [5, 3] " + tag(dt), tol(dt),
                   tol(dt), {}, [op, dt](Device d) {
                     // Divisors kept away from zero so gradients stay moderate.
                     const Tensor b = op.f == ag::div ? positive_input({5, 3}, 28, dt) : case_input({5, 3}, 28, dt);
                     return forward_backward(d, {case_input({4, 1, 3}, 27, dt), b},
                                             [op](const std::vector<ag::Variable>& v) { return op.f(v[0], v[1]); });
                   }});
    }
  }
  struct Unary {
    const char* name;
    AgUnary f;
    bool positive;
  };
  const Unary unary_ops[] = {{"neg", ag::neg, false},         {"exp", ag::exp, false},   {"log", ag::log, true},
                             {"sqrt", ag::sqrt, true},        {"rsqrt", ag::rsqrt, true}, {"abs", ag::abs, false},
                             {"relu", ag::relu, false},       {"relu6", ag::relu6, false}, {"gelu", ag::gelu, false},
                             {"sigmoid", ag::sigmoid, false}, {"silu", ag::silu, false}, {"tanh", ag::tanh, false}};
  for (const Unary& op : unary_ops) {
    for (DType dt : {DType::Float32, DType::Float64}) {
      t.push_back({std::string("elementwise ag ") + op.name + " [33, 7] " + tag(dt), tol(dt), tol(dt), {},
                   [op, dt](Device d) {
                     const Tensor x = op.positive ? positive_input({33, 7}, 29, dt)
                                                  : ops::mul_scalar(case_input({33, 7}, 29, dt), 4.0);
                     return forward_backward(d, {x}, [op](const std::vector<ag::Variable>& v) { return op.f(v[0]); });
                   }});
    }
  }
  t.push_back({"elementwise ag add_scalar, mul_scalar, pow 3 [257] f32", 1e-5, 1e-5, {}, [](Device d) {
                 return forward_backward(d, {case_input({257}, 30)}, [](const std::vector<ag::Variable>& v) {
                   return ag::pow(ag::mul_scalar(ag::add_scalar(v[0], 0.5), -2.0), 3.0);
                 });
               }});
  t.push_back({"elementwise ag mul of a transposed operand [7, 33]^T x [33, 7] f64", 1e-12, 1e-12, {}, [](Device d) {
                 return forward_backward(d, {case_input({7, 33}, 31, DType::Float64), case_input({33, 7}, 32, DType::Float64)},
                                         [](const std::vector<ag::Variable>& v) {
                                           return ag::mul(ag::transpose(v[0], 0, 1), v[1]);
                                         });
               }});
}

RegisterCudaCases elementwise_cases([](std::vector<CudaCase>& t) {
  add_binary_cases(t);
  add_unary_cases(t);
  add_scalar_op_cases(t);
  add_autograd_cases(t);
});

}  // namespace
}  // namespace uniad::test

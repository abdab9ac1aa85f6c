// CPU-vs-GPU cases for the gather, dropout, random and optimiser kernels: embedding lookup and
// its scatter-add backward, dropout masks (the GPU redraws the CPU's mask bit for bit), the
// counter-based and Generator-based fills, AdamW and SGD updates, sum of squares, scale_, and
// the nn/ optimisers and gradient clipping on a module moved to the device.
#include "cuda_cases.h"
#include "nn/layers.h"
#include "nn/optim.h"
#include "tensor/dropout.h"
#include "tensor/gather.h"
#include "tensor/optim_kernels.h"

namespace uniad::test {
namespace {

NamedResults one(const char* name, const Tensor& t) { return {{name, t}}; }

// A number as a one-element tensor on `device` (the table compares tensors on the device).
Tensor number(double v, Device device) { return Tensor::from_vector({v}, {1}, DType::Float64).to(device); }

// indices[p] = (p * stride) mod V for p in [0, n): with n > V every row is picked more than once.
Tensor cyclic_indices(int64_t n, int64_t stride, int64_t V, const Shape& shape) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t p = 0; p < n; ++p) v[static_cast<size_t>(p)] = (p * stride) % V;
  return Tensor::from_indices(v, shape);
}

// ---- gather ------------------------------------------------------------------------------------

// y = embedding(indices, weight) and d0 = its scatter-add gradient: exact on both devices.
CudaCase embedding_case(const std::string& name, const Shape& table, const Tensor& indices, DType dtype) {
  return {name, 0, 0, {}, [=](Device d) {
            const Tensor idx = indices.to(d);
            return forward_backward(d, {case_input(table, 21, dtype)},
                                    [&](const std::vector<ag::Variable>& v) { return ag::embedding(idx, v[0]); });
          }};
}

RegisterCudaCases gather_cases([](std::vector<CudaCase>& t) {
  t.push_back(embedding_case("gather embedding [10, 7] indices [2, 3] repeated f32", {10, 7},
                             Tensor::from_indices({3, 0, 3, 9, 3, 1}, {2, 3}), DType::Float32));
  t.push_back(embedding_case("gather embedding [10, 7] indices [2, 3] repeated f64", {10, 7},
                             Tensor::from_indices({9, 9, 2, 0, 2, 9}, {2, 3}), DType::Float64));
  t.push_back(embedding_case("gather embedding [196, 256] indices [392] each row twice", {196, 256},
                             cyclic_indices(392, 37, 196, {392}), DType::Float32));
  t.push_back(embedding_case("gather embedding [33, 1] indices [4, 257]", {33, 1},
                             cyclic_indices(1028, 5, 33, {4, 257}), DType::Float64));
  t.push_back({"gather rows of a transposed table [7, 10]^T and empty indices", 0, 0, {}, [](Device d) {
                 const Tensor table = case_input({7, 10}, 22).to(d).transpose(0, 1);  // [10, 7] view
                 const Tensor idx = Tensor::from_indices({4, 4, 0, 9}, {4}).to(d);
                 const Tensor none = Tensor::from_indices({}, {0}).to(d);
                 return NamedResults{{"rows", ops::gather_rows(table, idx)},
                                     {"empty", ops::gather_rows(table, none)},
                                     {"grad_empty", ops::scatter_add_rows(case_input({0, 7}, 23).to(d), none, 10)}};
               }});
});

// ---- dropout -----------------------------------------------------------------------------------

// The mask itself (dropout of ones is keep / (1 - p)) and the backward of a random gradient
// with it: both exact, since each element is one multiply on either device.
CudaCase dropout_mask_case(const Shape& shape, double p, DType dtype) {
  return {cat("dropout mask ", shape_str(shape), " p=", p, " ", dtype_name(dtype)), 0, 0, {}, [=](Device d) {
            const ops::DropoutResult r = ops::dropout_forward(Tensor::ones(shape, dtype, d), p, 0x5eed + 17);
            const Tensor dx = ops::dropout_backward(case_input(shape, 31, dtype).to(d), r.mask);
            return NamedResults{{"y", r.y}, {"dx", dx}};
          }};
}

// ag::dropout forward and backward through autograd, on an input `view` of a contiguous base.
CudaCase dropout_autograd_case(const std::string& name, const Shape& shape, double p,
                               const std::function<ag::Variable(const ag::Variable&)>& view) {
  return {name, 0, 0, {}, [=](Device d) {
            Generator gen(77);  // a fresh generator per run: the same key on both devices
            return forward_backward(d, {case_input(shape, 32)}, [&](const std::vector<ag::Variable>& v) {
              return ag::dropout(view(v[0]), p, true, gen);
            });
          }};
}

RegisterCudaCases dropout_cases([](std::vector<CudaCase>& t) {
  for (double p : {0.1, 0.5}) {
    t.push_back(dropout_mask_case({257}, p, DType::Float32));
    t.push_back(dropout_mask_case({33, 7}, p, DType::Float64));
    t.push_back(dropout_mask_case({196, 2, 256}, p, DType::Float32));
  }
  t.push_back(dropout_mask_case({1}, 0.5, DType::Float32));
  t.push_back(dropout_mask_case({0, 4}, 0.5, DType::Float32));
  t.push_back(dropout_autograd_case("dropout autograd [33, 7] p=0.1", {33, 7}, 0.1,
                                    [](const ag::Variable& x) { return x; }));
  t.push_back(dropout_autograd_case("dropout autograd transposed [7, 33]^T p=0.5", {7, 33}, 0.5,
                                    [](const ag::Variable& x) { return ag::transpose(x, 0, 1); }));
});

// ---- random fills ------------------------------------------------------------------------------

RegisterCudaCases random_cases([](std::vector<CudaCase>& t) {
  // Box-Muller in double: the GPU's log, sin and cos may differ from the C library's in the
  // last bit or two, so float64 gets a tolerance of a few ulps and float32 a rounding's worth.
  t.push_back({"random normal_counter_ [257] f64", 1e-13, 1e-13, {}, [](Device d) {
                 Tensor x = Tensor::empty({257}, DType::Float64, d);
                 return one("x", normal_counter_(x, 0.0, 1.0, 99));
               }});
  t.push_back({"random normal_counter_ [33, 7] f32 mean 5 std 2", 1e-6, 1e-6, {}, [](Device d) {
                 Tensor x = Tensor::empty({33, 7}, DType::Float32, d);
                 return one("x", normal_counter_(x, 5.0, 2.0, 100));
               }});
  t.push_back({"random normal_counter_ into a transposed view [7, 33]^T", 1e-6, 1e-6, {}, [](Device d) {
                 Tensor x = Tensor::zeros({7, 33}, DType::Float32, d);
                 Tensor view = x.transpose(0, 1);
                 normal_counter_(view, 0.0, 1.0, 101);
                 return one("x", x);
               }});
  t.push_back({"random normal_counter_ [1] and [196, 256] f32", 1e-6, 1e-6, {}, [](Device d) {
                 Tensor a = Tensor::empty({1}, DType::Float32, d), b = Tensor::empty({196, 256}, DType::Float32, d);
                 return NamedResults{{"one", normal_counter_(a, 0.0, 1.0, 102)},
                                     {"big", normal_counter_(b, 0.0, 0.02, 103)}};
               }});
  // Generator draws are made on the host, so the device gets the very same numbers.
  t.push_back({"random uniform_ normal_ bernoulli_ from a Generator", 0, 0, {}, [](Device d) {
                 Generator gen(5);
                 Tensor u = Tensor::empty({33, 7}, DType::Float32, d), n = Tensor::empty({257}, DType::Float64, d);
                 Tensor b = Tensor::zeros({7, 5}, DType::Float32, d);
                 Tensor b_view = b.transpose(0, 1);
                 uniform_(u, -2.0, 3.0, gen);
                 normal_(n, 1.0, 0.5, gen);
                 bernoulli_(b_view, 0.3, gen);
                 return NamedResults{{"uniform", u}, {"normal", n}, {"bernoulli", b}};
               }});
});

// ---- optimiser kernels -------------------------------------------------------------------------

// Tolerances of the optimiser cases: the kernels round step by step as the CPU does, so the
// numbers should agree to the last bit; the tolerance only keeps a failure readable.
double tight(DType dtype) { return dtype == DType::Float32 ? 1e-6 : 1e-12; }

// Three AdamW steps of `shape`, the gradient read through a transposed view when `strided`.
CudaCase adamw_case(const Shape& shape, DType dtype, double weight_decay, bool strided) {
  const std::string name = cat("optim adamw_update_ 3 steps ", shape_str(shape), " ", dtype_name(dtype), " wd=",
                               weight_decay, strided ? " transposed grad" : "");
  return {name, tight(dtype), tight(dtype), {}, [=](Device d) {
            Tensor p = case_input(shape, 41, dtype).to(d);
            Tensor m = Tensor::zeros(shape, dtype, d), v = Tensor::zeros(shape, dtype, d);
            ops::AdamWUpdate u;
            u.lr = 1e-2;
            u.weight_decay = weight_decay;
            for (int64_t step = 1; step <= 3; ++step) {
              Tensor g = case_input(shape, 50 + step, dtype).to(d);
              if (strided) {
                const Shape flipped{shape[1], shape[0]};
                g = case_input(flipped, 50 + step, dtype).to(d).transpose(0, 1);
              }
              u.step = step;
              ops::adamw_update_(p, g, m, v, u);
            }
            return NamedResults{{"param", p}, {"exp_avg", m}, {"exp_avg_sq", v}};
          }};
}

// Three SGD steps of `shape` with the given options.
CudaCase sgd_case(const std::string& what, const Shape& shape, DType dtype, const ops::SgdUpdate& options) {
  return {cat("optim sgd_update_ 3 steps ", what, " ", shape_str(shape), " ", dtype_name(dtype)), tight(dtype),
          tight(dtype), {}, [=](Device d) {
            Tensor p = case_input(shape, 61, dtype).to(d);
            Tensor buf = Tensor::zeros(shape, dtype, d);
            ops::SgdUpdate u = options;
            for (int64_t step = 1; step <= 3; ++step) {
              u.first = step == 1;
              ops::sgd_update_(p, case_input(shape, 70 + step, dtype).to(d), buf, u);
            }
            return NamedResults{{"param", p}, {"momentum_buffer", buf}};
          }};
}

RegisterCudaCases optim_kernel_cases([](std::vector<CudaCase>& t) {
  t.push_back(adamw_case({257}, DType::Float32, 1e-2, false));
  t.push_back(adamw_case({33, 7}, DType::Float32, 1e-4, true));
  t.push_back(adamw_case({33, 7}, DType::Float64, 1e-2, false));
  t.push_back(adamw_case({257}, DType::Float64, 0.0, false));

  ops::SgdUpdate plain;
  plain.lr = 0.1;
  ops::SgdUpdate momentum = plain;
  momentum.momentum = 0.9;
  momentum.dampening = 0.1;
  momentum.weight_decay = 1e-2;
  ops::SgdUpdate nesterov = plain;
  nesterov.momentum = 0.9;
  nesterov.nesterov = true;
  nesterov.weight_decay = 5e-4;
  for (DType dtype : {DType::Float32, DType::Float64}) {
    t.push_back(sgd_case("plain", {257}, dtype, plain));
    t.push_back(sgd_case("momentum dampening weight decay", {33, 7}, dtype, momentum));
    t.push_back(sgd_case("nesterov weight decay", {257}, dtype, nesterov));
  }

  // Sums of squares in double: the GPU sums in another order, so they agree to rounding only.
  t.push_back({"optim sum_of_squares f32 sizes 0, 1, 7, 257, 8193, 401408", 0, 1e-12, {}, [](Device d) {
                 NamedResults r;
                 for (int64_t n : {0, 1, 7, 257, 8193, 12544 * 256 / 8})
                   r.emplace_back(cat("n", n), number(ops::sum_of_squares(case_input({n}, 80 + n).to(d)), d));
                 return r;
               }});
  t.push_back({"optim sum_of_squares f64 [33, 7] and a transposed view", 0, 1e-12, {}, [](Device d) {
                 const Tensor x = case_input({33, 7}, 81, DType::Float64).to(d);
                 return NamedResults{{"x", number(ops::sum_of_squares(x), d)},
                                     {"xT", number(ops::sum_of_squares(x.transpose(0, 1)), d)}};
               }});
  t.push_back({"optim scale_ [257] f32 and [33, 7] f64", 0, 0, {}, [](Device d) {
                 Tensor a = case_input({257}, 82).to(d), b = case_input({33, 7}, 83, DType::Float64).to(d);
                 ops::scale_(a, 0.37);
                 ops::scale_(b, -1.5);
                 return NamedResults{{"a", a}, {"b", b}};
               }});
});

// ---- nn/ optimisers on a module moved to the device -------------------------------------------

// sum(linear(x) * w) for a fixed x and w: a loss whose gradients reach every parameter.
void backward_of_linear(const nn::Linear& layer, uint64_t seed, Device d) {
  const ag::Variable x(case_input({4, 5}, seed).to(d));
  const ag::Variable y = layer.forward(x);  // [4, 3]
  ag::sum(ag::mul(y, ag::Variable(case_input({4, 3}, seed + 1).to(d)))).backward();
}

RegisterCudaCases nn_optim_cases([](std::vector<CudaCase>& t) {
  // Three AdamW steps, the third from state exported to the host and restored into a fresh
  // optimiser (a checkpoint resume): the state buffers must live on the device and take the copy.
  t.push_back({"optim nn::AdamW 3 steps on nn::Linear(5, 3).to(device), resumed", 1e-5, 1e-5, {}, [](Device d) {
                 Generator gen(90);
                 nn::Linear layer(5, 3, true, gen);
                 layer.to(d);
                 const nn::AdamWOptions options{.lr = 1e-2, .weight_decay = 1e-2};
                 nn::AdamW first(layer.named_parameters(), options);
                 for (uint64_t step = 0; step < 2; ++step) {
                   backward_of_linear(layer, 91 + 2 * step, d);
                   first.step();
                   first.zero_grad();
                 }
                 nn::AdamW resumed(layer.named_parameters(), options);
                 resumed.restore_state(first.export_state());
                 backward_of_linear(layer, 95, d);
                 resumed.step();
                 return NamedResults{{"weight", layer.weight.data()},
                                     {"bias", layer.bias.data()},
                                     {"exp_avg", resumed.state("weight", "exp_avg")},
                                     {"exp_avg_sq", resumed.state("bias", "exp_avg_sq")}};
               }});
  t.push_back({"optim nn::SGD nesterov and clip_grad_norm on nn::Linear(5, 3).to(device)", 1e-5, 1e-5, {},
               [](Device d) {
                 Generator gen(92);
                 nn::Linear layer(5, 3, true, gen);
                 layer.to(d);
                 nn::SGD sgd(layer.named_parameters(), {.lr = 0.1, .momentum = 0.9, .nesterov = true});
                 double norm = 0;
                 for (uint64_t step = 0; step < 3; ++step) {
                   backward_of_linear(layer, 96 + 2 * step, d);
                   norm = nn::clip_grad_norm(layer.named_parameters(), 0.5);
                   sgd.step();
                   sgd.zero_grad();
                 }
                 return NamedResults{{"weight", layer.weight.data()},
                                     {"bias", layer.bias.data()},
                                     {"momentum_buffer", sgd.state("weight", "momentum_buffer")},
                                     {"norm", number(norm, d)}};
               }});
});

}  // namespace
}  // namespace uniad::test

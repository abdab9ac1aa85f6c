// CPU-vs-GPU cases for masked scaled-dot-product attention (tensor/attention.h): the fused op
// through autograd with and without mask and dropout, self and cross attention, head-split
// views, the inference path without weights (a fused kernel on the GPU), the composed
// reference, the dropout mask itself and one MultiheadAttention step. The dropout key is fixed,
// so the CPU and the GPU draw the same mask from counter_uniform.
#include <cmath>
#include <string>

#include "cuda_cases.h"
#include "nn/attention.h"
#include "tensor/attention.h"
#include "uniad/neighbor_mask.h"

namespace uniad::test {
namespace {

using ag::Variable;

// An additive mask [L, S]: zeros, -inf where (2 i + 5 j) % 7 == 0, and row 1 -inf throughout
// (a query that sees no key gets zero weights and a zero context).
Tensor sparse_mask(int64_t L, int64_t S, DType dtype) {
  std::vector<double> m(static_cast<size_t>(L * S), 0.0);
  for (int64_t i = 0; i < L; ++i)
    for (int64_t j = 0; j < S; ++j)
      if ((2 * i + 5 * j) % 7 == 0 || (L > 1 && i == 1)) m[static_cast<size_t>(i * S + j)] = -INFINITY;
  return Tensor::from_vector(m, {L, S}, dtype);
}

enum class MaskKind { None, Sparse, Neighbour };

struct AttentionShape {
  int64_t N, L, S, hd, hv;
  MaskKind mask;
  double dropout;
  DType dtype;
};

std::string describe(const AttentionShape& s) {
  const char* mask =
      s.mask == MaskKind::None ? "no mask" : (s.mask == MaskKind::Sparse ? "sparse mask" : "neighbour mask");
  return cat("N=", s.N, " L=", s.L, " S=", s.S, " hd=", s.hd, s.hv != s.hd ? cat(" hv=", s.hv) : std::string(), " ",
             mask, s.dropout > 0 ? cat(" p=", s.dropout) : std::string(), s.dtype == DType::Float64 ? " f64" : " f32");
}

Tensor make_mask(const AttentionShape& s) {
  if (s.mask == MaskKind::Sparse) return sparse_mask(s.L, s.S, s.dtype);
  if (s.mask == MaskKind::Neighbour) {  // L = S = grid * grid, a 3 x 3 window
    const auto grid = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(s.L))));
    return neighbor_mask(grid, grid, 3, s.dtype);
  }
  return Tensor();
}

// context, dq, dk, dv and the weights of ag::scaled_dot_attention (training: dropout active).
// With head_split, q, k, v are leaves [T, N, h] read through transposed views, as
// MultiheadAttention hands them over.
CudaCase fused_case(const AttentionShape& s, bool head_split, double tol) {
  const std::string name = cat("attention ", describe(s), head_split ? " head-split views" : "");
  return {name, tol, tol, {}, [=](Device d) {
            const Tensor mask = s.mask == MaskKind::None ? Tensor() : make_mask(s).to(d);
            auto shape = [&](int64_t T, int64_t h) { return head_split ? Shape{T, s.N, h} : Shape{s.N, T, h}; };
            const std::vector<Tensor> inputs{case_input(shape(s.L, s.hd), 51, s.dtype),
                                             case_input(shape(s.S, s.hd), 52, s.dtype),
                                             case_input(shape(s.S, s.hv), 53, s.dtype)};
            Tensor weights;
            NamedResults r = forward_backward(d, inputs, [&](const std::vector<Variable>& x) {
              auto view = [&](const Variable& v) { return head_split ? ag::transpose(v, 0, 1) : v; };
              Generator gen(77);  // one dropout key, the same on both devices
              const Variable m = mask.defined() ? Variable(mask) : Variable();
              const ag::AttentionResult a =
                  ag::scaled_dot_attention(view(x[0]), view(x[1]), view(x[2]), m, s.dropout, true, gen, true);
              weights = a.weights.data();
              return a.context;
            });
            r.emplace_back("P", weights);
            return r;
          }};
}

// The forward pass without weights (keep_probs = false): without dropout the fused kernel on
// the GPU, with dropout the composed path that keeps nothing.
CudaCase without_weights_case(const AttentionShape& s, double tol) {
  return {cat("attention without weights ", describe(s)), tol, tol, {}, [=](Device d) {
            const Tensor mask = s.mask == MaskKind::None ? Tensor() : make_mask(s).to(d);
            const ops::AttentionSaved out = ops::attention_forward(
                case_input({s.N, s.L, s.hd}, 61, s.dtype).to(d), case_input({s.N, s.S, s.hd}, 62, s.dtype).to(d),
                case_input({s.N, s.S, s.hv}, 63, s.dtype).to(d), mask, ops::AttentionDropout{s.dropout, 99}, false);
            return NamedResults{{"context", out.context}};
          }};
}

RegisterCudaCases attention_cases([](std::vector<CudaCase>& t) {
  const DType f32 = DType::Float32, f64 = DType::Float64;
  t.push_back(fused_case({4, 7, 7, 4, 4, MaskKind::None, 0.0, f32}, false, 2e-5));
  t.push_back(fused_case({4, 7, 7, 4, 4, MaskKind::Sparse, 0.1, f32}, false, 2e-5));
  t.push_back(fused_case({4, 49, 49, 32, 32, MaskKind::Neighbour, 0.0, f32}, false, 2e-5));
  t.push_back(fused_case({4, 49, 49, 32, 32, MaskKind::Neighbour, 0.1, f32}, true, 2e-5));
  t.push_back(fused_case({4, 5, 9, 4, 6, MaskKind::Sparse, 0.0, f32}, false, 2e-5));
  t.push_back(fused_case({4, 5, 9, 32, 32, MaskKind::None, 0.1, f32}, true, 2e-5));
  t.push_back(fused_case({4, 49, 49, 32, 32, MaskKind::Neighbour, 0.1, f64}, true, 1e-11));
  t.push_back(fused_case({4, 5, 9, 4, 6, MaskKind::Sparse, 0.5, f64}, false, 1e-11));
  // The paper's attention: 196 tokens, hd = 32 (D = 256, 8 heads), N kept small for the CPU.
  t.push_back(fused_case({8, 196, 196, 32, 32, MaskKind::Neighbour, 0.1, f32}, true, 5e-5));

  t.push_back(without_weights_case({4, 7, 7, 4, 4, MaskKind::None, 0.0, f32}, 2e-5));
  t.push_back(without_weights_case({4, 5, 9, 4, 6, MaskKind::Sparse, 0.0, f32}, 2e-5));
  t.push_back(without_weights_case({4, 49, 49, 32, 32, MaskKind::Neighbour, 0.0, f32}, 2e-5));
  t.push_back(without_weights_case({8, 196, 196, 32, 32, MaskKind::Neighbour, 0.0, f32}, 5e-5));
  t.push_back(without_weights_case({8, 196, 196, 64, 64, MaskKind::Neighbour, 0.0, f64}, 1e-11));
  t.push_back(without_weights_case({2, 3, 1500, 8, 8, MaskKind::None, 0.0, f32}, 2e-5));  // too long to fuse
  t.push_back(without_weights_case({4, 49, 49, 32, 32, MaskKind::Neighbour, 0.1, f32}, 2e-5));
  t.push_back(without_weights_case({0, 7, 7, 4, 4, MaskKind::None, 0.0, f32}, 0));  // no products

  t.push_back({"attention reference (composed) N=4 L=5 S=9 hd=4 sparse mask p=0.1 f32", 2e-5, 2e-5, {},
               [](Device d) {
                 const Tensor mask = sparse_mask(5, 9, DType::Float32).to(d);
                 return forward_backward(
                     d, {case_input({4, 5, 4}, 71), case_input({4, 9, 4}, 72), case_input({4, 9, 4}, 73)},
                     [&](const std::vector<Variable>& x) {
                       Generator gen(78);
                       return ag::scaled_dot_attention_reference(x[0], x[1], x[2], Variable(mask), 0.1, true, gen)
                           .context;
                     });
               }});
  t.push_back({"attention dropout scale [4, 7, 9] p=0.1 and [3, 5, 5] p=0.5 f64", 0, 0, {}, [](Device d) {
                 return NamedResults{
                     {"p0.1", ops::attention_dropout_scale({4, 7, 9}, DType::Float32, {0.1, 12345}, d)},
                     {"p0.5", ops::attention_dropout_scale({3, 5, 5}, DType::Float64, {0.5, 678}, d)}};
               }});
  t.push_back({"attention MultiheadAttention D=32 H=4 L=S=49 B=2 neighbour mask p=0.1 f32", 5e-5, 5e-5, {},
               [](Device d) {
                 Generator init(81);
                 nn::MultiheadAttention mha(32, 4, 0.1, init);
                 mha.to(d);
                 const Tensor mask = neighbor_mask(7, 7, 3).to(d);
                 NamedResults r =
                     forward_backward(d, {case_input({49, 2, 32}, 82)}, [&](const std::vector<Variable>& x) {
                       return mha.forward(x[0], x[0], x[0], Variable(mask)).output;
                     });
                 r.emplace_back("d_in_proj_weight", mha.in_proj_weight.grad());
                 r.emplace_back("d_out_proj_weight", mha.out_proj->weight.grad());
                 return r;
               }});
});

}  // namespace
}  // namespace uniad::test

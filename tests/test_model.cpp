// The reconstruction model: parameter count and names of the paper's configuration, shapes and
// gradients for every network kind, the neighbour mask, jitter and determinism.
#include <map>

#include "tensor/elementwise.h"
#include "tensor/reduce.h"
#include "model_helpers.h"
#include "test_util.h"
#include "uniad/model.h"
#include "uniad/neighbor_mask.h"

using namespace uniad;

namespace {
int64_t count_with_prefix(const nn::Module& m, const std::string& prefix) {
  int64_t n = 0;
  for (const auto& [name, p] : m.named_parameters())
    if (name.rfind(prefix, 0) == 0) n += p.numel();
  return n;
}

}  // namespace

TEST_CASE("model: the paper's configuration has 7,717,392 trainable parameters") {
  Generator gen(0);
  ReconstructionModel model(ModelConfig{}, gen);
  CHECK(model.num_parameters() == 7717392);
  CHECK(count_with_prefix(model, "encoder.layers.0.") == 789760);
  CHECK(count_with_prefix(model, "decoder.layers.3.") == 1103616);
  std::map<std::string, Shape> shapes;
  for (const auto& [name, p] : model.named_parameters()) shapes[name] = p.shape();
  CHECK(shapes.at("encoder.layers.0.self_attn.in_proj_weight") == Shape{768, 256});
  CHECK(shapes.at("decoder.layers.2.multihead_attn.out_proj.weight") == Shape{256, 256});
  CHECK(shapes.at("decoder.layers.1.learned_embed.weight") == Shape{196, 256});
  CHECK(shapes.at("pos_embed.col_embed.weight") == Shape{14, 128});
  CHECK(shapes.at("input_proj.weight") == Shape{256, 272});
  CHECK(shapes.at("decoder.norm.weight") == Shape{256});
}

TEST_CASE("model: initialisation follows the paper (xavier weights, zero biases, U(0,1) positions)") {
  Generator gen(1);
  ReconstructionModel model(ModelConfig{}, gen);
  const Tensor w = model.parameter("encoder.layers.0.self_attn.in_proj_weight").data();
  const double bound = std::sqrt(6.0 / (768 + 256));
  CHECK(ops::max_all(ops::unary(ops::UnaryOp::Abs, w)).item() <= bound);
  CHECK(ops::max_all(ops::unary(ops::UnaryOp::Abs, w)).item() > 0.9 * bound);
  auto max_abs = [&](const std::string& name) {
    return ops::max_all(ops::unary(ops::UnaryOp::Abs, model.parameter(name).data())).item();
  };
  CHECK(max_abs("decoder.layers.0.ffn.linear1.bias") == 0);
  CHECK(max_abs("encoder.layers.1.self_attn.in_proj_bias") == 0);
  CHECK(max_abs("encoder.layers.1.norm2.weight") == 1);
  const Tensor pos = model.parameter("pos_embed.row_embed.weight").data();
  CHECK(ops::max_all(pos).item() < 1.0);
  CHECK(-ops::max_all(ops::unary(ops::UnaryOp::Neg, pos)).item() >= 0.0);
  // The learned queries keep N(0, 1): their spread is about 1, far above xavier's.
  const double q_std = std::sqrt(ops::var(model.parameter("decoder.layers.0.learned_embed.weight").data()).item());
  CHECK(q_std == doctest::Approx(1.0).epsilon(0.05));
}

TEST_CASE("model: neighbour mask hides the window around each token, itself included") {
  const Tensor m = neighbor_mask(3, 3, 3, DType::Float64);  // 9 x 9
  // Token 0 (row 0, col 0) may only see tokens with row 2 or col 2: 2, 5, 6, 7, 8.
  for (int64_t j = 0; j < 9; ++j) CHECK(std::isinf(m.at({0, j})) == !(j == 2 || j == 5 || j == 6 || j == 7 || j == 8));
  // The centre token sees nothing at all on a 3 x 3 grid.
  for (int64_t j = 0; j < 9; ++j) CHECK(std::isinf(m.at({4, j})));
  // Window 1 hides only the token itself.
  const Tensor d = neighbor_mask(3, 3, 1, DType::Float64);
  CHECK(std::isinf(d.at({4, 4})));
  CHECK(d.at({4, 3}) == 0);
  CHECK_THROWS_AS(neighbor_mask(3, 3, 2), Error);
}

TEST_CASE("model: every network kind reconstructs [B, C, H, W] and gives every parameter a gradient") {
  for (NetworkKind kind : {NetworkKind::MLP, NetworkKind::CNN, NetworkKind::Transformer, NetworkKind::QueryFirst,
                           NetworkKind::UniAD}) {
    CAPTURE(network_kind_name(kind));
    Generator gen(3);
    ReconstructionModel model(test::small_model_config(kind), gen);
    const Tensor f = test::randn({2, 12, 4, 5}, 4, DType::Float32);
    ag::Variable rec = model.forward(f);
    CHECK(rec.shape() == Shape{2, 12, 4, 5});
    ag::mse_loss(rec, f).backward();
    for (const auto& [name, p] : model.named_parameters()) {
      CAPTURE(name);
      REQUIRE(p.grad().defined());
    }
  }
  Generator gen(3);
  ReconstructionModel query_first(test::small_model_config(NetworkKind::QueryFirst), gen);
  int64_t queries = 0;
  for (const auto& [name, p] : query_first.named_parameters()) queries += name.find("learned_embed") != std::string::npos;
  CHECK(queries == 1);
}

TEST_CASE("model: feature jitter only in training, scaled by the token norm / C") {
  ModelConfig c = test::small_model_config(NetworkKind::UniAD);
  c.jitter_scale = 20;
  Generator gen(5);
  ReconstructionModel model(c, gen);
  const Tensor tokens = test::randn({20, 64, 12}, 6, DType::Float64);  // [L, B, C]
  const Tensor noisy = model.jitter(tokens);
  // E|noise|^2 per token = (alpha * ||f|| / C)^2 * C, so ||noise|| / ||f|| ~ alpha / sqrt(C).
  const double ratio = std::sqrt(ops::sum(ops::unary(ops::UnaryOp::Square, ops::sub(noisy, tokens))).item() /
                                 ops::sum(ops::unary(ops::UnaryOp::Square, tokens)).item());
  CHECK(ratio == doctest::Approx(20.0 / std::sqrt(12.0)).epsilon(0.05));
  model.eval();
  CHECK(test::max_abs_diff(model.jitter(tokens), tokens) == 0);
  model.train();
  c.jitter_prob = 0;
  Generator gen2(5);
  ReconstructionModel never(c, gen2);
  CHECK(test::max_abs_diff(never.jitter(tokens), tokens) == 0);
}

TEST_CASE("model: same seed, same weights and outputs, and eval mode is deterministic") {
  Generator g1(7), g2(7);
  ReconstructionModel a(test::small_model_config(NetworkKind::UniAD), g1), b(test::small_model_config(NetworkKind::UniAD), g2);
  const Tensor f = test::randn({2, 12, 4, 5}, 8, DType::Float32);
  CHECK(test::max_abs_diff(a.forward(f).data(), b.forward(f).data()) == 0);  // training: dropout + jitter, same draws
  a.eval();
  CHECK(test::max_abs_diff(a.forward(f).data(), a.forward(f).data()) == 0);
  CHECK_THROWS_WITH_AS(a.forward(test::randn({2, 11, 4, 5}, 9, DType::Float32)), doctest::Contains("[2, 11, 4, 5]"), Error);
}

// nn/: the Module base (names, modes, gradients), initialisers and multi-head attention's
// optional attention weights.
#include "nn/attention.h"
#include "nn/init.h"
#include "tensor/elementwise.h"
#include "tensor/reduce.h"
#include "test_util.h"

using namespace uniad;

namespace {
// A two-level module, to check hierarchical names and recursive modes.
class Block : public nn::Module {
 public:
  explicit Block(Generator& gen) {
    fc = register_module("fc", std::make_shared<nn::Linear>(3, 2, true, gen));
    drop = register_module("drop", std::make_shared<nn::Dropout>(0.5, gen));
  }
  std::shared_ptr<nn::Linear> fc;
  std::shared_ptr<nn::Dropout> drop;
};
class Net : public nn::Module {
 public:
  explicit Net(Generator& gen) {
    layers = register_module("layers", std::make_shared<nn::ModuleList<Block>>());
    layers->push_back(std::make_shared<Block>(gen));
    layers->push_back(std::make_shared<Block>(gen));
    scale = register_parameter("scale", Tensor::ones({1}));
  }
  std::shared_ptr<nn::ModuleList<Block>> layers;
  ag::Variable scale;
};
}  // namespace

TEST_CASE("nn: hierarchical parameter names, recursive train/eval, zero_grad") {
  Generator gen(0);
  Net net(gen);
  std::vector<std::string> names;
  for (const auto& [name, p] : net.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"scale", "layers.0.fc.weight", "layers.0.fc.bias", "layers.1.fc.weight",
                                          "layers.1.fc.bias"});
  CHECK(net.num_parameters() == 1 + 2 * (6 + 2));
  CHECK(net.parameter("layers.1.fc.weight").shape() == Shape{2, 3});
  CHECK_THROWS_WITH_AS(net.parameter("layers.2.fc.weight"), doctest::Contains("no parameter named"), Error);
  net.eval();
  CHECK_FALSE(net.layers->operator[](1).drop->is_training());
  net.train();
  CHECK(net.layers->operator[](0).drop->is_training());
  ag::Variable x(Tensor::ones({4, 3}));
  ag::sum(net.layers->operator[](0).fc->forward(x)).backward();
  CHECK(net.parameter("layers.0.fc.weight").grad().defined());
  net.zero_grad();
  CHECK_FALSE(net.parameter("layers.0.fc.weight").grad().defined());
}

TEST_CASE("nn: initialisers draw from the documented distributions") {
  Generator gen(1);
  ag::Variable w(Tensor::empty({200, 300}), true);
  nn::init::xavier_uniform_(w, gen);
  const double a = std::sqrt(6.0 / 500.0);
  CHECK(ops::max_all(ops::unary(ops::UnaryOp::Abs, w.data())).item() <= a);
  CHECK(std::sqrt(ops::var(w.data()).item()) == doctest::Approx(a / std::sqrt(3.0)).epsilon(0.02));  // U(-a, a)
  nn::init::normal_(w, gen, 2.0, 0.5);
  CHECK(ops::mean(w.data()).item() == doctest::Approx(2.0).epsilon(0.01));
  nn::init::zeros_(w);
  CHECK(ops::max_all(ops::unary(ops::UnaryOp::Abs, w.data())).item() == 0);
  nn::init::ones_(w);
  CHECK(ops::mean(w.data()).item() == 1.0);
  ag::Variable vec(Tensor::empty({5}), true);
  CHECK_THROWS_AS(nn::init::xavier_uniform_(vec, gen), Error);
}

TEST_CASE("nn: attention weights are returned per head, rows sum to 1, masked keys get 0") {
  Generator gen(2);
  nn::MultiheadAttention mha(8, 2, 0.0, gen);
  const Tensor q = test::randn({5, 3, 8}, 3, DType::Float32);  // [L, B, D]
  std::vector<double> m(25, 0.0);
  for (int i = 0; i < 5; ++i) m[i * 5 + i] = -INFINITY;  // nobody attends to itself
  const ag::Variable mask(Tensor::from_vector(m, {5, 5}));
  const nn::AttentionOutput out = mha.forward(ag::Variable(q), ag::Variable(q), ag::Variable(q), mask, true);
  CHECK(out.output.shape() == Shape{5, 3, 8});
  REQUIRE(out.weights.shape() == Shape{3, 2, 5, 5});  // [B, H, L, S]
  const Tensor row_sums = ops::sum(out.weights.data(), {3});
  test::check_close("attention rows sum to 1", row_sums, Tensor::ones({3, 2, 5}), 1e-6);
  for (int64_t i = 0; i < 5; ++i) CHECK(out.weights.data().at({1, 1, i, i}) == 0);
  CHECK_FALSE(mha.forward(ag::Variable(q), ag::Variable(q), ag::Variable(q)).weights.defined());
  CHECK_THROWS_WITH_AS(mha.forward(ag::Variable(q), ag::Variable(q), ag::Variable(q),
                                   ag::Variable(Tensor::zeros({4, 5}))),
                       doctest::Contains("mask [4, 5] must be [L, S] = [5, 5]"), Error);
}

// Optimisers by hand: one AdamW step worked out on paper, plain SGD, clipping of a 3-4-12
// vector, skipped parameters, the fused kernel against composed tensor ops and against itself
// on one thread, and the state round trip a checkpoint relies on (export, restore into a fresh
// optimiser, continue: bit-identical), with the errors a mismatched state must give.
#include <omp.h>

#include "nn/optim.h"
#include "tensor/elementwise.h"
#include "tensor/optim_kernels.h"
#include "test_util.h"

using namespace uniad;
using test::contains;
using test::error_of;
using namespace uniad::nn;

namespace {

Tensor scalar(double v, DType dtype) { return Tensor::from_vector({v}, {1}, dtype); }

// Three named parameters shaped like a tiny model, float32, with seeded values.
std::vector<NamedParameter> tiny_model(uint64_t seed) {
  return {{"linear.weight", ag::Variable(test::randn({4, 3}, seed, DType::Float32), true)},
          {"linear.bias", ag::Variable(test::randn({4}, seed + 1, DType::Float32), true)},
          {"embed.weight", ag::Variable(test::randn({2, 5}, seed + 2, DType::Float32), true)}};
}

// The same parameters, as fresh leaves with copied values (what loading a checkpoint gives).
std::vector<NamedParameter> copy_of(const std::vector<NamedParameter>& params) {
  std::vector<NamedParameter> out;
  for (const auto& [name, p] : params) out.emplace_back(name, ag::Variable(p.data().clone(), true));
  return out;
}

// Gradient set `t`, the same for every copy of the model.
void set_grads(std::vector<NamedParameter>& params, uint64_t t) {
  for (size_t i = 0; i < params.size(); ++i)
    params[i].second.set_grad(test::randn(params[i].second.shape(), 1000 + 10 * t + i, DType::Float32));
}



}  // namespace

TEST_CASE("adamw: the first step from zero state moves p by lr * g / (|g| + eps), after the decay") {
  // After one step m = (1-b1) g and v = (1-b2) g^2, so the bias corrections cancel exactly:
  // m / (1-b1) = g and sqrt(v / (1-b2)) = |g|. The move is lr * sign(g) unless |g| ~ eps.
  const double lr = 0.01, wd = 0.1, eps = 1e-8;
  for (DType dtype : {DType::Float64, DType::Float32}) {
    for (double g : {-3.0, 0.25, 1e-8}) {
      const double p0 = 0.5;
      ag::Variable p(scalar(p0, dtype), true);
      AdamW opt({{"p", p}}, {.lr = lr, .beta1 = 0.9, .beta2 = 0.999, .eps = eps, .weight_decay = wd});
      p.set_grad(scalar(g, dtype));
      opt.step();
      const double expected = p0 * (1 - lr * wd) - lr * g / (std::abs(g) + eps);
      const double tol = dtype == DType::Float64 ? 1e-15 : 1e-7;
      test::check_close(cat("adamw first step ", dtype_name(dtype), " g=", g), p.data(), scalar(expected, dtype), tol);
    }
  }
}

TEST_CASE("adamw: a parameter without a gradient is skipped, state and step count untouched") {
  auto params = tiny_model(1);
  AdamW opt(params, {.lr = 0.1});
  const Tensor before = params[2].second.data().clone();
  set_grads(params, 0);
  params[2].second.zero_grad();  // embed.weight: no gradient this step
  opt.step();
  test::check_close("skipped parameter unchanged", params[2].second.data(), before, 0.0);
  test::check_close("skipped exp_avg still zero", opt.state("embed.weight", "exp_avg"), Tensor::zeros({2, 5}), 0.0);
  CHECK(opt.state("embed.weight", "step").item() == 0);
  CHECK(opt.state("linear.weight", "step").item() == 1);
  CHECK(opt.step_count() == 1);
}

TEST_CASE("sgd: plain steps are p -= lr g, and with momentum the first buffer is the gradient itself") {
  ag::Variable p(Tensor::from_vector({1.0, -2.0}, {2}, DType::Float64), true);
  SGD plain({{"p", p}}, {.lr = 0.5});
  CHECK(plain.buffer_names() == std::vector<std::string>{"step"});
  p.set_grad(Tensor::from_vector({0.5, 4.0}, {2}, DType::Float64));
  plain.step();
  test::check_close("sgd plain", p.data(), Tensor::from_vector({0.75, -4.0}, {2}, DType::Float64), 0.0);

  ag::Variable q(Tensor::from_vector({1.0}, {1}, DType::Float64), true);
  SGD momentum({{"q", q}}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.5});
  q.set_grad(Tensor::from_vector({2.0}, {1}, DType::Float64));
  momentum.step();  // b = g = 2 (dampening does not apply to the first step), q = 1 - 0.2
  momentum.step();  // b = 0.9 * 2 + 0.5 * 2 = 2.8, q = 0.8 - 0.28
  test::check_close("sgd momentum buffer", momentum.state("q", "momentum_buffer"), scalar(2.8, DType::Float64), 1e-15);
  test::check_close("sgd momentum param", q.data(), scalar(0.52, DType::Float64), 1e-15);
}

TEST_CASE("clip_grad_norm: a 3-4-12 gradient has norm 13, and clipping scales, a large bound leaves bits alone") {
  auto make = [] {
    std::vector<NamedParameter> ps{{"a", ag::Variable(Tensor::zeros({2}, DType::Float64), true)},
                                   {"b", ag::Variable(Tensor::zeros({1}, DType::Float64), true)},
                                   {"c", ag::Variable(Tensor::zeros({3}, DType::Float64), true)}};
    ps[0].second.set_grad(Tensor::from_vector({3, 4}, {2}, DType::Float64));
    ps[1].second.set_grad(Tensor::from_vector({12}, {1}, DType::Float64));
    return ps;  // c has no gradient and is ignored
  };
  auto ps = make();
  CHECK(clip_grad_norm(ps, 6.5) == 13.0);
  const double coef = 6.5 / (13.0 + 1e-6);
  test::check_close("clipped a", ps[0].second.grad(), Tensor::from_vector({3 * coef, 4 * coef}, {2}, DType::Float64), 0.0);
  test::check_close("clipped b", ps[1].second.grad(), scalar(12 * coef, DType::Float64), 0.0);
  CHECK_FALSE(ps[2].second.grad().defined());

  auto loose = make();
  CHECK(clip_grad_norm(loose, 100.0) == 13.0);
  test::check_close("unclipped a", loose[0].second.grad(), Tensor::from_vector({3, 4}, {2}, DType::Float64), 0.0);

  std::vector<NamedParameter> none{{"x", ag::Variable(Tensor::zeros({2}), true)}};
  CHECK(clip_grad_norm(none, 1.0) == 0.0);
}

TEST_CASE("adamw: the fused kernel equals composed tensor ops (float64), on the threaded path") {
  // 40000 elements: above kParallelGrain, so the OpenMP loop runs.
  const Shape shape{200, 200};
  Tensor p = test::randn(shape, 7), m = Tensor::zeros(shape, DType::Float64), v = m.clone();
  Tensor rp = p.clone(), rm = m.clone(), rv = v.clone();
  const double lr = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 1e-2;
  for (int64_t t = 1; t <= 3; ++t) {
    const Tensor g = test::randn(shape, 100 + t);
    ops::adamw_update_(p, g, m, v, {.lr = lr, .beta1 = b1, .beta2 = b2, .eps = eps, .weight_decay = wd, .step = t});
    // The textbook formula, one tensor op at a time.
    rp = ops::mul_scalar(rp, 1 - lr * wd);
    rm = ops::add(ops::mul_scalar(rm, b1), ops::mul_scalar(g, 1 - b1));
    rv = ops::add(ops::mul_scalar(rv, b2), ops::mul_scalar(ops::mul(g, g), 1 - b2));
    const double bc1 = 1 - std::pow(b1, t), bc2 = 1 - std::pow(b2, t);
    const Tensor denom = ops::add_scalar(ops::mul_scalar(ops::unary(ops::UnaryOp::Sqrt, rv), 1 / std::sqrt(bc2)), eps);
    rp = ops::sub(rp, ops::mul_scalar(ops::div(rm, denom), lr / bc1));
  }
  test::check_close("fused vs composed exp_avg", m, rm, 1e-15, 1e-13);
  test::check_close("fused vs composed exp_avg_sq", v, rv, 1e-15, 1e-13);
  test::check_close("fused vs composed param", p, rp, 1e-15, 1e-13);
}

TEST_CASE("optim kernels: threads change no bit (AdamW update and the clipping sum of squares)") {
  const Shape shape{300, 200};
  const Tensor g = test::randn(shape, 3, DType::Float32);
  auto run = [&](int threads) {
    const int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
    Tensor p = test::randn(shape, 4, DType::Float32), m = Tensor::zeros(shape), v = Tensor::zeros(shape);
    ops::adamw_update_(p, g, m, v, {.lr = 0.01, .step = 1});
    const double ss = ops::sum_of_squares(g);
    omp_set_num_threads(saved);
    return std::make_pair(p, ss);
  };
  const auto [p1, ss1] = run(1);
  const auto [pn, ssn] = run(std::max(4, omp_get_max_threads()));
  test::check_close("adamw 1 thread vs many", pn, p1, 0.0);
  test::check_close("sum_of_squares 1 thread vs many", Tensor::scalar(ssn, DType::Float64),
                    Tensor::scalar(ss1, DType::Float64), 0.0);
}

TEST_CASE("optim: state export, restore into a fresh optimiser, continue: bit-identical to not stopping") {
  for (const bool adam : {true, false}) {
    auto make = [&](const std::vector<NamedParameter>& ps) -> std::unique_ptr<Optimizer> {
      if (adam) return std::make_unique<AdamW>(ps, AdamWOptions{.lr = 0.01, .weight_decay = 0.1});
      return std::make_unique<SGD>(ps, SgdOptions{.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .weight_decay = 0.01});
    };
    auto params = tiny_model(11);
    auto original = make(params);
    for (uint64_t t = 0; t < 2; ++t) {
      set_grads(params, t);
      original->step();
    }
    const OptimizerState saved = original->export_state();
    CHECK(saved.step_count == 2);
    CHECK(saved.entries.size() == params.size() * original->buffer_names().size());

    auto resumed_params = copy_of(params);
    auto resumed = make(resumed_params);
    resumed->restore_state(saved);
    for (uint64_t t = 2; t < 5; ++t) {
      set_grads(params, t);
      set_grads(resumed_params, t);
      original->step();
      resumed->step();
    }
    CHECK(resumed->step_count() == original->step_count());
    for (size_t i = 0; i < params.size(); ++i) {
      const std::string& name = params[i].first;
      test::check_close(cat(original->name(), " resumed ", name), resumed_params[i].second.data(),
                        params[i].second.data(), 0.0);
      for (const std::string& buffer : original->buffer_names())
        test::check_close(cat(original->name(), " resumed ", name, "/", buffer), resumed->state(name, buffer),
                          original->state(name, buffer), 0.0);
    }
    // The export was a copy: continuing did not change it.
    CHECK(saved.entries[0].value.item() == 2);
    CHECK_FALSE(saved.entries[1].value.shares_storage(original->state(saved.entries[1].param, saved.entries[1].buffer)));
  }
}

TEST_CASE("optim: restore_state names every parameter, buffer, dtype and shape that differs") {
  auto params = tiny_model(21);
  AdamW opt(params, {.lr = 0.01});
  set_grads(params, 0);
  opt.step();
  const OptimizerState good = opt.export_state();
  const Tensor exp_avg_before = opt.state("linear.weight", "exp_avg").clone();

  OptimizerState bad = good;
  for (StateEntry& e : bad.entries) {
    if (e.param == "linear.weight" && e.buffer == "exp_avg") e.value = Tensor::zeros({3, 4});
    if (e.param == "linear.bias" && e.buffer == "exp_avg_sq") e.value = Tensor::zeros({4}, DType::Float64);
  }
  std::erase_if(bad.entries, [](const StateEntry& e) { return e.param == "embed.weight" && e.buffer == "exp_avg"; });
  bad.entries.push_back({"decoder.extra.weight", "exp_avg", Tensor::zeros({2})});
  bad.entries.push_back({"linear.bias", "momentum_buffer", Tensor::zeros({4})});
  bad.step_count = 7;

  const std::string msg = error_of([&] { opt.restore_state(bad); });
  CHECK(contains(msg, "(5 problems)"));
  CHECK(contains(msg, "linear.weight/exp_avg: saved float32 [3, 4], expected float32 [4, 3]"));
  CHECK(contains(msg, "linear.bias/exp_avg_sq: saved float64 [4], expected float32 [4]"));
  CHECK(contains(msg, "embed.weight/exp_avg: missing from the saved state"));
  CHECK(contains(msg, "decoder.extra.weight/exp_avg: saved, but this optimiser has no parameter 'decoder.extra.weight'"));
  CHECK(contains(msg, "linear.bias/momentum_buffer: saved, but AdamW keeps no buffer 'momentum_buffer' (it keeps step, exp_avg, exp_avg_sq)"));
  // A failed restore changes nothing.
  CHECK(opt.step_count() == 1);
  test::check_close("state untouched by a failed restore", opt.state("linear.weight", "exp_avg"), exp_avg_before, 0.0);

  // An SGD state offered to AdamW: the buffers do not correspond.
  auto other = tiny_model(21);
  SGD sgd(other, {.lr = 0.1, .momentum = 0.9});
  const std::string cross = error_of([&] { opt.restore_state(sgd.export_state()); });
  CHECK(contains(cross, "linear.weight/exp_avg_sq: missing from the saved state"));
  CHECK(contains(cross, "AdamW keeps no buffer 'momentum_buffer'"));

  OptimizerState twice = good;
  twice.entries.push_back(good.entries.front());
  CHECK(contains(error_of([&] { opt.restore_state(twice); }), "linear.weight/step: appears twice"));
  opt.restore_state(good);  // and the good state still fits
  CHECK(opt.step_count() == 1);
}

TEST_CASE("optim: state lookup and construction errors say what is wrong") {
  auto params = tiny_model(31);
  AdamW opt(params);
  CHECK(opt.state("linear.weight", "exp_avg").shape() == Shape{4, 3});
  CHECK(contains(error_of([&] { opt.state("linear.wieght", "exp_avg"); }), "no parameter named 'linear.wieght'"));
  CHECK(contains(error_of([&] { opt.state("linear.weight", "momentum"); }), "keeps step, exp_avg, exp_avg_sq"));

  auto dup = tiny_model(32);
  dup[1].first = dup[0].first;
  CHECK(contains(error_of([&] { AdamW a(dup); }), "'linear.weight' appears twice"));
  CHECK(contains(error_of([&] { AdamW a({}); }), "empty parameter list"));
  CHECK(contains(error_of([&] { AdamW a(tiny_model(33), {.beta2 = 1.0}); }), "beta parameter at index 1"));
  CHECK(contains(error_of([&] { SGD s(tiny_model(34), {.momentum = 0.9, .dampening = 0.1, .nesterov = true}); }),
                 "nesterov"));
  CHECK(contains(error_of([&] { opt.set_lr(-1); }), "invalid learning rate"));
}

// Learning-rate schedules at chosen steps, worked out by hand; the torch comparison is in
// tests/test_optim_golden.cpp.
#include <numbers>

#include "nn/schedule.h"
#include "test_util.h"

using namespace uniad;
using namespace uniad::nn;

namespace {

// lr_at at the given steps against hand-computed values, printing the largest difference.
void check_schedule(const LrSchedule& s, const std::vector<int64_t>& steps, const std::vector<double>& expected,
                    double rtol) {
  std::vector<double> got;
  for (int64_t step : steps) got.push_back(s.lr_at(step));
  const Shape shape{int64_t(steps.size())};
  test::check_close(s.str(), Tensor::from_vector(got, shape, DType::Float64),
                    Tensor::from_vector(expected, shape, DType::Float64), 0.0, rtol);
}

}  // namespace

TEST_CASE("schedule: StepLR as UniAD uses it, 1e-4 dropping x0.1 after epoch 800") {
  const StepLR s(1e-4, 800, 0.1);
  check_schedule(s, {0, 1, 799, 800, 999, 1600}, {1e-4, 1e-4, 1e-4, 1e-4 * 0.1, 1e-4 * 0.1, 1e-6}, 1e-15);
  CHECK(s.lr_at(800) == 1e-4 * 0.1);  // the first drop is one multiplication, as in torch
  CHECK(s.str() == "StepLR(base_lr=0.0001, step_size=800, gamma=0.1)");
}

TEST_CASE("schedule: cosine with linear warm-up, and without") {
  // base 1, eta_min 0, 2 warm-up steps, 10 in all: the cosine runs over steps 2..10.
  const CosineLR warm(1.0, 10, 0.0, 2);
  const double pi = std::numbers::pi;
  check_schedule(warm, {0, 1, 2, 4, 6, 10, 11, 1000},
                 {1.0 / 3, 2.0 / 3, 1.0, (1 + std::cos(pi / 4)) / 2, 0.5, 0.0, 0.0, 0.0}, 1e-15);
  // Without warm-up: eta_min + (base - eta_min)(1 + cos(pi t / T)) / 2, flat at eta_min after T.
  const CosineLR plain(0.1, 4, 0.01);
  check_schedule(plain, {0, 1, 2, 3, 4, 5},
                 {0.1, 0.01 + 0.09 * (1 + std::cos(pi / 4)) / 2, 0.055, 0.01 + 0.09 * (1 + std::cos(3 * pi / 4)) / 2,
                  0.01, 0.01},
                 1e-15);
}

TEST_CASE("schedule: constant, apply() sets the optimiser's lr, and bad arguments are refused") {
  check_schedule(ConstantLR(3e-4), {0, 5, 100000}, {3e-4, 3e-4, 3e-4}, 0.0);

  std::vector<NamedParameter> params{{"w", ag::Variable(Tensor::zeros({2}), true)}};
  AdamW opt(params, {.lr = 1e-4});
  const StepLR s(1e-4, 800, 0.1);
  s.apply(opt, 900);
  CHECK(opt.lr() == s.lr_at(900));

  CHECK_THROWS_WITH_AS(s.lr_at(-1), doctest::Contains("negative step -1"), Error);
  CHECK_THROWS_WITH_AS(StepLR(1e-4, 0), doctest::Contains("step_size must be positive"), Error);
  CHECK_THROWS_WITH_AS(CosineLR(1e-4, 10, 0, 10), doctest::Contains("warmup_steps < total_steps"), Error);
  CHECK_THROWS_WITH_AS(ConstantLR(-1), doctest::Contains("invalid lr"), Error);
}

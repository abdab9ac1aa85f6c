// Optimisers, clipping and schedules against PyTorch 1.13: tools/make_optim_golden.py runs
// torch.optim.AdamW / SGD (foreach=False), clip_grad_norm_ and the lr schedulers in float32 on
// three small parameters and five gradient sets, and stores every intermediate result in
// tests/fixtures/golden_optim.h5. Here the same steps run through nn::AdamW etc.
//
// Tolerance: the kernels repeat PyTorch's arithmetic rounding for rounding, including which
// multiply-adds are fused (tensor/optim_kernels.cpp), and match this fixture bit for bit. A
// torch built without its AVX2 kernels fuses differently, so the test allows the last bit or two
// of a float32 (1e-6 relative to the tensor's largest entry) and prints the actual difference.
// The clipping norm is ours in double against torch's float32, so it differs by float32 rounding.
#include <filesystem>

#include "nn/optim.h"
#include "nn/schedule.h"
#include "tensor/hdf5_io.h"
#include "test_util.h"

using namespace uniad;
using namespace uniad::nn;

namespace {

constexpr double kRtol = 1e-6;

h5::File open_fixture() {
  const std::string path = std::string(UNIAD_FIXTURE_DIR) + "/golden_optim.h5";
  REQUIRE_MESSAGE(std::filesystem::exists(path), "fixture ", path,
                  " is missing; regenerate it with /usr/bin/python3 tools/make_optim_golden.py and commit it");
  return h5::File::open_read(path);
}

double max_abs(const Tensor& t) {
  double m = 0;
  for (double v : t.to_vector()) m = std::max(m, std::abs(v));
  return m;
}

void compare(const std::string& what, const Tensor& actual, const Tensor& expected) {
  test::check_close(what, actual, expected, kRtol * std::max(max_abs(expected), 1e-30), kRtol);
}

std::string leaf(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// Fresh float32 leaves from /params, named as in the fixture.
std::vector<NamedParameter> load_params(const h5::File& f) {
  std::vector<NamedParameter> params;
  for (const std::string& path : f.list_datasets("/params"))
    params.emplace_back(leaf(path), ag::Variable(f.read(path, DType::Float32), true));
  REQUIRE(params.size() == 3);
  return params;
}

// Gradient set t; a parameter the fixture gives no gradient gets none.
void set_grads(const h5::File& f, std::vector<NamedParameter>& params, int64_t t) {
  for (auto& [name, p] : params) {
    const std::string path = cat("/grads/", t, "/", name);
    if (f.exists(path))
      p.set_grad(f.read(path, DType::Float32));
    else
      p.zero_grad();
  }
}

// Compares parameters and every state buffer torch holds after step t (1-based) of `group`.
void compare_step(const h5::File& f, const std::string& group, int64_t t, const Optimizer& opt,
                  const std::vector<std::string>& buffers) {
  const std::string at = cat(group, "/step", t);
  for (const auto& [name, p] : opt.params()) compare(cat(at, " ", name), p.data(), f.read(at + "/param/" + name));
  for (const std::string& buffer : buffers) {
    for (const auto& [name, p] : opt.params()) {
      const std::string path = at + "/" + buffer + "/" + name;
      if (f.exists(path)) {
        compare(cat(at, " ", buffer, " ", name), opt.state(name, buffer), f.read(path));
      } else {
        // torch has no state for a parameter that never had a gradient; ours is still zero.
        CHECK_MESSAGE(opt.state(name, "step").item() == 0, at, " ", name, " should not have been updated yet");
        test::check_close(cat(at, " ", buffer, " ", name, " (untouched)"), opt.state(name, buffer),
                          Tensor::zeros(p.shape()), 0.0);
      }
    }
  }
}

}  // namespace

TEST_CASE("adamw golden: five steps against torch.optim.AdamW, StepLR dropping the lr after step 3") {
  const h5::File f = open_fixture();
  auto params = load_params(f);
  AdamWOptions o;
  o.lr = f.attr_double("/adamw", "lr");
  o.beta1 = f.attr_double("/adamw", "beta1");
  o.beta2 = f.attr_double("/adamw", "beta2");
  o.eps = f.attr_double("/adamw", "eps");
  o.weight_decay = f.attr_double("/adamw", "weight_decay");
  AdamW opt(params, o);
  const StepLR schedule(o.lr, f.attr_int("/adamw", "step_size"), f.attr_double("/adamw", "gamma"));

  const Tensor torch_lrs = f.read("/adamw/lr", DType::Float64);
  std::vector<double> lrs;
  for (int64_t t = 0; t < torch_lrs.numel(); ++t) {
    schedule.apply(opt, t);
    lrs.push_back(opt.lr());
    set_grads(f, params, t);
    opt.step();
    compare_step(f, "/adamw", t + 1, opt, {"exp_avg", "exp_avg_sq"});
  }
  // The lr sequence is exact: one drop is one multiplication by gamma in both.
  test::check_close("adamw lr per step (StepLR)", Tensor::from_vector(lrs, {int64_t(lrs.size())}, DType::Float64),
                    torch_lrs, 0.0);
  // embed.weight had no gradient at step 0, so its bias correction counts one step fewer.
  CHECK(opt.step_count() == 5);
  CHECK(opt.state("embed.weight", "step").item() == 4);
  CHECK(opt.state("linear.weight", "step").item() == 5);
}

TEST_CASE("sgd golden: five steps of momentum SGD (dampening, weight decay) and of Nesterov") {
  const h5::File f = open_fixture();
  for (const std::string group : {"/sgd_momentum", "/sgd_nesterov"}) {
    auto params = load_params(f);
    SgdOptions o;
    o.lr = f.attr_double(group, "lr");
    o.momentum = f.attr_double(group, "momentum");
    o.dampening = f.attr_double(group, "dampening");
    o.weight_decay = f.attr_double(group, "weight_decay");
    o.nesterov = f.attr_int(group, "nesterov") != 0;
    SGD opt(params, o);
    for (int64_t t = 0; t < 5; ++t) {
      set_grads(f, params, t);
      opt.step();
      compare_step(f, group, t + 1, opt, {"momentum_buffer"});
    }
  }
}

TEST_CASE("clip_grad_norm golden: one case that clips (one parameter without gradient), one that does not") {
  const h5::File f = open_fixture();
  for (const std::string group : {"/clip_clips", "/clip_no_clip"}) {
    auto params = load_params(f);
    set_grads(f, params, f.attr_int(group, "grad_step"));
    const double total = clip_grad_norm(params, f.attr_double(group, "max_norm"));
    compare(group + " total_norm", Tensor::scalar(total, DType::Float64), f.read(group + "/total_norm").to(DType::Float64));
    for (const auto& [name, p] : params) {
      const std::string path = group + "/grad/" + name;
      CHECK_MESSAGE(p.grad().defined() == f.exists(path), group, " ", name, ": gradient presence differs");
      if (f.exists(path)) compare(group + " grad " + name, p.grad(), f.read(path));
    }
  }
}

TEST_CASE("schedule golden: StepLR and CosineAnnealingLR (torch's recursive updates) vs our closed forms") {
  const h5::File f = open_fixture();
  const std::string s = "/schedule/step_lr", c = "/schedule/cosine";
  const StepLR step(f.attr_double(s, "base_lr"), f.attr_int(s, "step_size"), f.attr_double(s, "gamma"));
  const CosineLR cosine(f.attr_double(c, "base_lr"), f.attr_int(c, "t_max"), f.attr_double(c, "eta_min"));
  for (const auto& [group, schedule] : {std::pair<std::string, const LrSchedule*>{s, &step}, {c, &cosine}}) {
    const Tensor expected = f.read(group + "/lr", DType::Float64);
    std::vector<double> ours;
    for (int64_t t = 0; t < expected.numel(); ++t) ours.push_back(schedule->lr_at(t));
    // Recursion and closed form round differently: a few units in the last place of a double.
    test::check_close(group + " " + schedule->str(), Tensor::from_vector(ours, expected.shape(), DType::Float64),
                      expected, 0.0, 1e-14);
  }
}

// The whole reconstruction model against PyTorch: tests/fixtures/golden_model.h5, written by
// tools/make_model_golden.py from tools/uniad_reference.py (torch.nn.MultiheadAttention, float64).
// Each case loads PyTorch's weights into our ReconstructionModel by name, runs forward and
// backward in float32, and compares the reconstruction, the loss and every parameter's gradient;
// the UniAD case then also takes three clipped AdamW steps and compares every parameter.
#include <algorithm>
#include <filesystem>

#include "test_util.h"
#include "uniad/model.h"
#include "uniad/state_io.h"

using namespace uniad;

namespace {

// float32 results against float64 references: rounding of a few thousand operations per
// output stays well inside 1e-5 relative, while a wrong mask polarity, a skipped learned
// query or a transposed weight changes outputs and gradients at the 1e-2..1 level.
constexpr double kRtol = 1e-5, kAtol = 1e-6;

h5::File open_model_golden() {
  const std::string path = std::string(UNIAD_FIXTURE_DIR) + "/golden_model.h5";
  REQUIRE_MESSAGE(std::filesystem::exists(path), "fixture ", path,
                  " is missing; regenerate it with /usr/bin/python3 tools/make_model_golden.py and commit it");
  return h5::File::open_read(path);
}

// The case's model with PyTorch's initial weights. dropout 0 and jitter off in the fixture's
// config make training mode deterministic, so the constructor's own random draws do not matter.
std::unique_ptr<ReconstructionModel> load_case(const h5::File& f, const std::string& name, Generator& gen) {
  const ModelConfig config = load_model_config(f, "/" + name);
  auto model = std::make_unique<ReconstructionModel>(config, gen);
  load_parameters(*model, f, "/" + name + "/model");
  return model;
}

// Compares with check_close (which prints each largest difference) and keeps the worst one.
struct Comparer {
  double worst = 0;
  std::string worst_name;

  void operator()(const std::string& what, const Tensor& actual, const Tensor& expected, double atol = kAtol,
                  double rtol = kRtol) {
    test::check_close(what, actual, expected, atol, rtol);
    const double d = test::max_abs_diff(actual, expected);
    if (d >= worst) worst = d, worst_name = what;
  }
  void summary(const std::string& what, size_t n) const {
    std::printf("[compare] %s: largest over %zu tensors %.3e (%s)\n", what.c_str(), n, worst, worst_name.c_str());
  }
};

// Forward on the stored input, MSE against it, backward; compares all of it with the fixture.
void check_forward_backward(ReconstructionModel& model, const h5::File& f, const std::string& name) {
  const std::string g = "/" + name;
  const Tensor x = f.read(g + "/input", DType::Float32);  // [B, C, H, W]
  const ag::Variable rec = model.forward(x);              // [B, C, H, W]
  Comparer compare;
  compare(name + " reconstruction", rec.data(), f.read(g + "/reconstruction"));
  const ag::Variable loss = ag::mse_loss(rec, x);
  compare(name + " loss", loss.data(), f.read(g + "/loss"));
  loss.backward();
  const auto params = model.named_parameters();
  for (const auto& [pname, p] : params) {
    REQUIRE_MESSAGE(p.grad().defined(), name, ": no gradient reached ", pname);
    compare(name + " grad " + pname, p.grad(), f.read(g + "/grad/" + pname));
  }
  compare.summary(name + " forward + " + std::to_string(params.size()) + " gradients", params.size() + 2);
}

}  // namespace

TEST_CASE("parity: reduced UniAD matches PyTorch in reconstruction, loss and every gradient") {
  const h5::File f = open_model_golden();
  Generator gen(0);
  auto model = load_case(f, "uniad", gen);
  CHECK(model->config().network == NetworkKind::UniAD);
  CHECK(model->num_parameters() == 162904);
  check_forward_backward(*model, f, "uniad");
}

TEST_CASE("parity: mlp, cnn, transformer and query_first match PyTorch in forward and gradients") {
  const h5::File f = open_model_golden();
  for (const char* name : {"mlp", "cnn", "transformer", "query_first"}) {
    CAPTURE(name);
    Generator gen(0);
    auto model = load_case(f, name, gen);
    CHECK(network_kind_name(model->config().network) == std::string(name));
    check_forward_backward(*model, f, name);
  }
}

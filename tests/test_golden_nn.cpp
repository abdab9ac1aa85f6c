// Golden comparisons against PyTorch (see golden_util.h): softmax with UniAD's additive
// neighbour mask (including a fully masked row, which is zeros by our contract where torch
// gives NaN) and layer norm with affine parameters.
#include "golden_util.h"

using namespace uniad;
using namespace uniad::ag;
using test::GoldenCase;
using test::run_golden_family;

TEST_CASE("golden: softmax over the last axis, with and without a neighbour mask") {
  run_golden_family("softmax", [](GoldenCase& c) {
    const Variable x = c.input("x");
    if (!c.has("mask")) return softmax(x);
    // The [L, L] mask broadcasts over batch and heads, as in attention.
    return softmax(x, Variable(c.constant("mask")));
  });
}

TEST_CASE("golden: softmax fully masked row is exactly zero, value and gradient") {
  // The general comparison above already covers this row within tolerance; here it must be
  // exact zeros, since a NaN or a tiny leak there would poison every later layer.
  const h5::File file = test::open_golden();
  const std::string path = "/softmax/neighbour_mask";
  const int64_t row = file.attr_int(path, "fully_masked_row");
  for (DType dtype : {DType::Float64, DType::Float32}) {
    GoldenCase c(file, path, dtype);
    Variable x = c.input("x");
    Variable y = softmax(x, Variable(c.constant("mask")));
    y.backward(file.read(path + "/grad_out").to(dtype));
    const Tensor y_row = y.data().select(-2, row), g_row = x.grad().select(-2, row);
    test::check_close(path + " masked row value", y_row, Tensor::zeros(y_row.shape()), 0.0);
    test::check_close(path + " masked row gradient", g_row, Tensor::zeros(g_row.shape()), 0.0);
  }
}

TEST_CASE("golden: layer_norm with affine parameters") {
  run_golden_family("layer_norm", [](GoldenCase& c) {
    return layer_norm(c.input("x"), c.input("weight"), c.input("bias"), c.param_double("eps"));
  });
}

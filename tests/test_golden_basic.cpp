// Golden comparisons against PyTorch (see golden_util.h): matrix products and activations,
// plus a check that every family in the fixture has a C++ twin somewhere in the suite.
#include "golden_util.h"

using namespace uniad;
using namespace uniad::ag;
using test::GoldenCase;
using test::run_golden_family;

TEST_CASE("golden: fixture families all have a C++ test") {
  // Test files: test_golden_basic.cpp (matmul, activation), test_golden_nn.cpp (softmax,
  // layer_norm), test_golden_conv.cpp (conv2d, resize_bilinear), test_golden_attention.cpp.
  const std::vector<std::string> tested = {"/activation", "/attention", "/conv2d", "/layer_norm",
                                           "/matmul",     "/resize_bilinear", "/softmax"};
  const h5::File file = test::open_golden();
  CHECK(file.attr_string("/", "generator") == "tools/make_golden.py");
  CHECK(file.list_groups("/") == tested);
}

TEST_CASE("golden: matmul (2-D, batched, broadcast, transposed operands)") {
  run_golden_family("matmul", [](GoldenCase& c) {
    Variable a = c.input("a"), b = c.input("b");
    // Transposed operands are stored in their own layout and used through a transposed view,
    // which is how attention forms q k^T.
    if (c.has_param("transpose_a")) a = transpose(a, -1, -2);
    if (c.has_param("transpose_b")) b = transpose(b, -1, -2);
    return matmul(a, b);
  });
}

TEST_CASE("golden: activations (exact gelu, silu)") {
  run_golden_family("activation", [](GoldenCase& c) {
    const std::string op = c.param_string("op");
    if (op == "gelu") return gelu(c.input("x"));
    if (op == "silu") return silu(c.input("x"));
    FAIL("unknown activation in the fixture: ", op);
    return Variable();
  });
}

// The graph dump (autograd/graph_dump.h) and the tiny traced computation that notebook 01 reads
// (autograd/tiny_trace.h, `uniad trace-autograd`).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "autograd/functions.h"
#include "autograd/tiny_trace.h"
#include "tests/test_util.h"

using namespace uniad;

namespace {
const ag::GraphRecord& find(const std::vector<ag::GraphRecord>& g, const std::string& name) {
  const auto it = std::find_if(g.begin(), g.end(), [&](const ag::GraphRecord& r) { return r.name == name; });
  REQUIRE_MESSAGE(it != g.end(), "no record named ", name);
  return *it;
}
}  // namespace

TEST_CASE("graph_dump: the tiny trace's graph in forward order, with op names and input ids") {
  const ag::TinyTrace trace = ag::run_tiny_trace(0);
  const auto& g = trace.graph;
  REQUIRE(g.size() == 10);
  std::string ops;
  for (const ag::GraphRecord& r : g) {
    CHECK(r.id == int64_t(&r - g.data()));
    for (int64_t i : r.inputs) CHECK_MESSAGE((i >= 0 && i < r.id), r.name, ": input ", i, " is not earlier");
    if (!r.op.empty()) ops += (ops.empty() ? "" : " ") + r.op;
  }
  CHECK(ops == "matmul add relu sub pow mean");
  CHECK(g.back().name == "loss");
  CHECK(find(g, "z").inputs == std::vector<int64_t>{find(g, "xw").id, find(g, "b").id});
  CHECK(find(g, "d").inputs == std::vector<int64_t>{find(g, "h").id, find(g, "t").id});
  CHECK(find(g, "x").op.empty());
  CHECK_FALSE(find(g, "t").value->requires_grad);
  CHECK(find(g, "t").value->grad.defined() == false);
}

TEST_CASE("graph_dump: the tiny trace's gradients equal the hand-derived backward and finite differences") {
  const ag::TinyTrace trace = ag::run_tiny_trace(3);
  const auto& g = trace.graph;
  const Tensor x = find(g, "x").value->data, W = find(g, "W").value->data, t = find(g, "t").value->data;
  const Tensor z = find(g, "z").value->data;
  // By hand: dL/dz[i, j] = 2 (relu(z) - t)[i, j] / 8 where z > 0, else 0; dL/dW = x^T dL/dz,
  // dL/dx = dL/dz W^T, dL/db = column sums of dL/dz.
  Tensor dz = Tensor::zeros({4, 2}, DType::Float64), dW = Tensor::zeros({3, 2}, DType::Float64);
  Tensor dx = Tensor::zeros({4, 3}, DType::Float64), db = Tensor::zeros({2}, DType::Float64);
  int active = 0;
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 2; ++j) {
      const double zij = z.at({i, j});
      active += zij > 0;
      dz.set({i, j}, zij > 0 ? 2.0 * (zij - t.at({i, j})) / 8.0 : 0.0);
    }
  CHECK_MESSAGE(active > 0, "no ReLU unit is active: the example checks nothing through relu");
  CHECK_MESSAGE(active < 8, "every ReLU unit is active: the example never shows relu cutting a gradient");
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 2; ++j) {
      db.set({j}, db.at({j}) + dz.at({i, j}));
      for (int64_t k = 0; k < 3; ++k) {
        dW.set({k, j}, dW.at({k, j}) + x.at({i, k}) * dz.at({i, j}));
        dx.set({i, k}, dx.at({i, k}) + dz.at({i, j}) * W.at({k, j}));
      }
    }
  test::check_close("tiny trace dL/dz: autograd vs hand", find(g, "z").value->grad, dz, 1e-14);
  test::check_close("tiny trace dL/dW: autograd vs hand", find(g, "W").value->grad, dW, 1e-14);
  test::check_close("tiny trace dL/dx: autograd vs hand", find(g, "x").value->grad, dx, 1e-14);
  test::check_close("tiny trace dL/db: autograd vs hand", find(g, "b").value->grad, db, 1e-14);
  REQUIRE(trace.leaves == std::vector<std::string>{"x", "W", "b"});
  for (size_t i = 0; i < 3; ++i)
    test::check_close("tiny trace d/d" + trace.leaves[i] + ": autograd vs finite differences",
                      find(g, trace.leaves[i]).value->grad, trace.numeric_grad[i], 1e-8);
  std::printf("[compare] tiny trace max_abs_diff field = %.3e\n", trace.max_abs_diff);
  CHECK(trace.max_abs_diff < 1e-8);
  CHECK(find(g, "loss").value->grad.item() == 1.0);
}

TEST_CASE("graph_dump: the written file holds the graph, values, gradients and finite differences") {
  const ag::TinyTrace trace = ag::run_tiny_trace(0);
  test::TempPath tmp("tiny_trace.h5");
  ag::write_tiny_trace(tmp.str(), trace);
  h5::File f = h5::File::open_read(tmp.str());
  CHECK(f.attr_string("/", "format") == "uniad-autograd-trace 1");
  CHECK(f.attr_string("/", "formula") == ag::kTinyTraceFormula);
  const std::vector<std::string> ops = f.read_strings("/graph/op"), names = f.read_strings("/graph/name");
  REQUIRE(ops.size() == 10);
  CHECK(ops.back() == "mean");
  CHECK(names.back() == "loss");
  const Tensor inputs = f.read("/graph/inputs", DType::Int64);  // [10, 2]
  const Tensor shapes = f.read("/graph/shape", DType::Int64);   // [10, 2]
  CHECK(inputs.shape() == Shape{10, 2});
  CHECK(shapes.at({9, 0}) == -1);  // the scalar loss
  const auto d = std::find(names.begin(), names.end(), "d") - names.begin();
  CHECK(names[size_t(inputs.at({d, 0}))] == "h");
  CHECK(names[size_t(inputs.at({d, 1}))] == "t");
  CHECK(f.read("/value/loss").shape() == Shape{});
  test::check_close("tiny trace /grad/W read back", f.read("/grad/W"), find(trace.graph, "W").value->grad, 0);
  test::check_close("tiny trace /numeric_grad/x read back", f.read("/numeric_grad/x"), trace.numeric_grad[0], 0);
  CHECK_FALSE(f.exists("/grad/t"));
}

TEST_CASE("graph_dump: trace_graph lists a shared input once and checks names") {
  ag::Variable x(test::randn({3}, 5), true);
  const ag::Variable y = ag::sum(x * x + x);
  const auto g = ag::trace_graph(y, {{"x", x}});
  REQUIRE(g.size() == 4);  // x, x*x, x*x + x, sum
  CHECK(g[0].name == "x");
  CHECK(g[1].op == "mul");
  CHECK(g[1].inputs == std::vector<int64_t>{0, 0});
  CHECK(g[2].name == "v2");
  CHECK_THROWS_WITH_AS(ag::trace_graph(y, {{"x", x}, {"x", y}}), doctest::Contains("given twice"), Error);
  CHECK_THROWS_WITH_AS(ag::trace_graph(y, {{"a/b", x}}), doctest::Contains("free of '/'"), Error);
}

#include "autograd/tiny_trace.h"

#include <algorithm>
#include <cmath>

#include "autograd/functions.h"
#include "autograd/gradcheck.h"
#include "tensor/random.h"

namespace uniad::ag {

namespace {
// The computation itself, shared by the traced run and the finite differences.
struct TinyForward {
  Variable xw, z, h, d, s, loss;
};
TinyForward tiny_forward(const Variable& x, const Variable& W, const Variable& b, const Variable& t) {
  TinyForward f;
  f.xw = matmul(x, W);  // [4, 2]
  f.z = f.xw + b;       // [4, 2]
  f.h = relu(f.z);      // [4, 2]
  f.d = f.h - t;        // [4, 2]
  f.s = pow(f.d, 2.0);  // [4, 2]
  f.loss = mean(f.s);   // []
  return f;
}
}  // namespace

TinyTrace run_tiny_trace(uint64_t seed) {
  Generator gen(seed);
  const Tensor x0 = rand_normal({4, 3}, 0.0, 1.0, gen, DType::Float64);
  const Tensor W0 = rand_normal({3, 2}, 0.0, 1.0 / std::sqrt(3.0), gen, DType::Float64);
  const Tensor b0 = rand_normal({2}, 0.0, 0.1, gen, DType::Float64);
  const Tensor t0 = rand_normal({4, 2}, 0.0, 1.0, gen, DType::Float64);

  Variable x(x0.clone(), true), W(W0.clone(), true), b(b0.clone(), true), t(t0.clone());
  TinyForward f = tiny_forward(x, W, b, t);
  for (Variable* v : {&f.xw, &f.z, &f.h, &f.d, &f.s, &f.loss}) v->retain_grad();
  f.loss.backward(/*retain_graph=*/true);  // keep the closures: the dump shows a complete graph

  TinyTrace trace;
  trace.seed = seed;
  trace.graph = trace_graph(f.loss, {{"x", x}, {"W", W}, {"b", b}, {"t", t}, {"xw", f.xw}, {"z", f.z},
                                     {"h", f.h}, {"d", f.d}, {"s", f.s}, {"loss", f.loss}});
  trace.leaves = {"x", "W", "b"};
  const GradcheckFn loss_of = [&t0](const std::vector<Variable>& in) {
    return tiny_forward(in[0], in[1], in[2], Variable(t0)).loss;
  };
  trace.numeric_grad = finite_difference_gradients(loss_of, {x0, W0, b0}, Tensor(), trace.eps);
  const Variable* leaf[] = {&x, &W, &b};
  for (size_t i = 0; i < 3; ++i) {
    const std::vector<double> a = leaf[i]->grad().to_vector(), n = trace.numeric_grad[i].to_vector();
    for (size_t k = 0; k < a.size(); ++k) trace.max_abs_diff = std::max(trace.max_abs_diff, std::abs(a[k] - n[k]));
  }
  return trace;
}

void write_tiny_trace(const std::string& path, const TinyTrace& trace) {
  h5::File file = h5::File::create(path);
  file.set_attr("/", "format", "uniad-autograd-trace 1");
  file.set_attr("/", "formula", kTinyTraceFormula);
  file.set_attr("/", "seed", int64_t(trace.seed));
  file.set_attr("/", "eps", trace.eps);
  file.set_attr("/", "max_abs_diff", trace.max_abs_diff);
  write_graph(file, trace.graph);
  for (size_t i = 0; i < trace.leaves.size(); ++i) file.write("/numeric_grad/" + trace.leaves[i], trace.numeric_grad[i]);
  file.close();
}

}  // namespace uniad::ag

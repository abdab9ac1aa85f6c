#pragma once
// Golden comparisons against PyTorch. tools/make_golden.py (run with Debian's python3-torch)
// writes tests/fixtures/golden_ops.h5: per case the inputs, the op's parameters as attributes,
// a random upstream gradient, torch's output and torch's input gradients, all in float64.
// A test runs our op on those inputs in float64 and again in float32, runs backward with the
// same upstream gradient, and compares the output and every input gradient.
#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>
#include <sstream>

#include "autograd/functions.h"
#include "tensor/hdf5_io.h"
#include "test_util.h"

namespace uniad::test {

inline std::string golden_fixture_path() { return std::string(UNIAD_FIXTURE_DIR) + "/golden_ops.h5"; }

// Opens the fixture. A missing file fails the test, never skips it: the tests need no torch,
// but the file must be committed.
inline h5::File open_golden() {
  const std::string path = golden_fixture_path();
  REQUIRE_MESSAGE(std::filesystem::exists(path), "golden fixture ", path,
                  " is missing; regenerate it with\n    /usr/bin/python3 tools/make_golden.py\n"
                  "(needs Debian's python3-torch and python3-h5py) and commit it.");
  return h5::File::open_read(path);
}

// Relative tolerance by dtype. Float32 results are compared with float64 references, so the
// float32 bound is set by float32 rounding (about 6e-8 per operation, grown by sums of a few
// dozen terms). The absolute tolerance is the same fraction of the tensor's largest entry:
// entries that nearly cancel (a sum of products close to 0) carry the rounding error of the
// large terms they came from, not of their own small size.
inline double golden_rtol(DType dtype) { return dtype == DType::Float64 ? 1e-10 : 1e-5; }

inline double max_abs(const Tensor& t) {
  double m = 0;
  for (double v : t.to_vector()) m = std::max(m, std::abs(v));
  return m;
}

// Compares one tensor with its float64 reference, printing the largest difference.
inline void golden_compare(const std::string& what, const Tensor& actual, const Tensor& expected, DType dtype) {
  const double rtol = golden_rtol(dtype);
  check_close(what, actual, expected, rtol * std::max(1.0, max_abs(expected)), rtol);
}

// One fixture case run in one dtype: hands out the stored inputs as Variables of that dtype,
// remembers which ones it handed out, and checks output and gradients in check().
class GoldenCase {
 public:
  GoldenCase(const h5::File& file, std::string path, DType dtype) : file_(file), path_(std::move(path)), dtype_(dtype) {}

  DType dtype() const { return dtype_; }
  const std::string& path() const { return path_; }

  // A differentiable input (a leaf that requires grad), converted to this case's dtype.
  ag::Variable input(const std::string& name) {
    ag::Variable v(file_.read(path_ + "/" + name, DType::Float64).to(dtype_), true);
    inputs_.emplace_back(name, v);
    return v;
  }
  // A stored tensor without gradient (a mask), converted to this case's dtype.
  Tensor constant(const std::string& name) const { return file_.read(path_ + "/" + name, DType::Float64).to(dtype_); }
  bool has(const std::string& name) const { return file_.exists(path_ + "/" + name); }

  bool has_param(const std::string& name) const { return file_.has_attr(path_, name); }
  int64_t param_int(const std::string& name) const { return file_.attr_int(path_, name); }
  double param_double(const std::string& name) const { return file_.attr_double(path_, name); }
  std::string param_string(const std::string& name) const { return file_.attr_string(path_, name); }

  // Compares `out` with the stored output, backpropagates the stored upstream gradient and
  // compares the gradient of every input. Every gradient the fixture holds must have been
  // asked for through input(), so none goes unchecked.
  void check(const ag::Variable& out) {
    const std::string tag = path_ + (dtype_ == DType::Float64 ? " f64 " : " f32 ");
    CHECK_MESSAGE(out.dtype() == dtype_, tag, "output dtype ", dtype_name(out.dtype()));
    golden_compare(tag + "out", out.data(), file_.read(path_ + "/out", DType::Float64), dtype_);

    out.backward(file_.read(path_ + "/grad_out", DType::Float64).to(dtype_));
    std::set<std::string> checked;
    for (const auto& [name, v] : inputs_) {
      REQUIRE_MESSAGE(v.grad().defined(), tag, "no gradient reached input ", name);
      golden_compare(tag + "grad_" + name, v.grad(), file_.read(path_ + "/grad_" + name, DType::Float64), dtype_);
      checked.insert(name);
    }
    std::stringstream expected(param_string("grad_inputs"));
    for (std::string name; std::getline(expected, name, ',');)
      CHECK_MESSAGE(checked.count(name) == 1, tag, "fixture gradient grad_", name, " was not compared");
  }

 private:
  const h5::File& file_;
  std::string path_;
  DType dtype_;
  std::vector<std::pair<std::string, ag::Variable>> inputs_;
};

using GoldenOp = std::function<ag::Variable(GoldenCase&)>;

// Runs `op` on every case of a family ("/conv2d/..."), in float64 and then float32. Iterating over
// what the file holds means a case added to make_golden.py is tested without touching C++.
inline void run_golden_family(const std::string& family, const GoldenOp& op) {
  const h5::File file = open_golden();
  const auto cases = file.list_groups("/" + family);
  REQUIRE_MESSAGE(!cases.empty(), "golden fixture has no cases under /", family);
  for (const std::string& path : cases) {
    for (DType dtype : {DType::Float64, DType::Float32}) {
      GoldenCase c(file, path, dtype);
      c.check(op(c));
    }
  }
}

}  // namespace uniad::test

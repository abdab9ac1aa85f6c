#pragma once
// Shared helpers for the test suite: random inputs, closeness checks that report the largest
// difference, and a gradient-check wrapper that prints what it measured.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include "autograd/gradcheck.h"
#include "tensor/random.h"

namespace uniad::test {

inline Tensor randn(const Shape& shape, uint64_t seed, DType dtype = DType::Float64) {
  Generator gen(seed);
  return rand_normal(shape, 0.0, 1.0, gen, dtype);
}

inline Tensor randu(const Shape& shape, double lo, double hi, uint64_t seed, DType dtype = DType::Float64) {
  Generator gen(seed);
  return rand_uniform(shape, lo, hi, gen, dtype);
}

// Largest |a - b| over all elements; shapes must match.
inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  REQUIRE_MESSAGE(a.shape() == b.shape(), "shape ", shape_str(a.shape()), " vs ", shape_str(b.shape()));
  const auto va = a.to_vector(), vb = b.to_vector();
  double m = 0;
  for (size_t i = 0; i < va.size(); ++i) {
    const double d = std::abs(va[i] - vb[i]);
    if (std::isnan(d)) return INFINITY;
    m = std::max(m, d);
  }
  return m;
}

// Checks closeness (|a - b| <= atol + rtol |b| everywhere) and prints the largest difference.
inline void check_close(const std::string& what, const Tensor& actual, const Tensor& expected, double atol,
                        double rtol = 0) {
  REQUIRE_MESSAGE(actual.shape() == expected.shape(), what, ": shape ", shape_str(actual.shape()), " vs expected ",
                  shape_str(expected.shape()));
  const auto va = actual.to_vector(), vb = expected.to_vector();
  double worst = 0, worst_excess = -INFINITY;
  size_t at = 0;
  for (size_t i = 0; i < va.size(); ++i) {
    const double d = std::abs(va[i] - vb[i]);
    const double excess = std::isnan(d) ? INFINITY : d - (atol + rtol * std::abs(vb[i]));
    if (std::isnan(d) || d > worst) worst = std::isnan(d) ? INFINITY : d;
    if (excess > worst_excess) {
      worst_excess = excess;
      at = i;
    }
  }
  std::printf("[compare] %-48s max |diff| = %.3e (atol %.1e, rtol %.1e)\n", what.c_str(), worst, atol, rtol);
  CHECK_MESSAGE(worst_excess <= 0, what, ": element ", at, " is ", va.empty() ? 0 : va[at], ", expected ",
                vb.empty() ? 0 : vb[at], " (max |diff| ", worst, ")");
}

// Runs a float64 finite-difference check, prints the largest difference, fails with details.
inline void expect_gradcheck(const std::string& what, const ag::GradcheckFn& f, const std::vector<Tensor>& inputs,
                             ag::GradcheckOptions opt = {}) {
  const ag::GradcheckResult r = ag::gradcheck(f, inputs, opt);
  std::printf("[gradcheck] %-46s max |diff| = %.3e\n", what.c_str(), r.max_abs_diff);
  CHECK_MESSAGE(r.ok, what, ": gradient mismatch\n", r.report);
}

// A fresh path in the temp directory, unique per process so that parallel test runs do not
// collide; removed at the end of the scope.
struct TempPath {
  std::filesystem::path path;
  explicit TempPath(const std::string& name)
      : path(std::filesystem::temp_directory_path() / ("uniad_test_" + std::to_string(::getpid()) + "_" + name)) {
    std::filesystem::remove(path);
  }
  ~TempPath() { std::filesystem::remove(path); }
  std::string str() const { return path.string(); }
};

// A fresh directory under the temp directory, unique per process, removed with its contents.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name)
      : path(std::filesystem::temp_directory_path() / ("uniad_test_" + std::to_string(::getpid()) + "_" + name)) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string operator/(const std::string& file) const { return (path / file).string(); }
  // Creates a one-byte placeholder file (and its folders) at path/relative.
  void touch(const std::string& relative) const {
    std::filesystem::create_directories((path / relative).parent_path());
    std::FILE* f = std::fopen((path / relative).string().c_str(), "wb");
    if (f) {
      std::fputc(0, f);
      std::fclose(f);
    }
  }
};

// The message of the uniad::Error that `fn` throws, printed; fails the test when it throws none.
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    std::printf("[error] %s\n", e.what());
    return e.what();
  }
  FAIL("expected a uniad::Error");
  return "";
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace uniad::test

// Every CUDA op against its CPU twin: one table (tests/cuda_cases.h), one row per result.
// Without a GPU the CPU side of every case still runs (so the table itself is tested here),
// and the comparison reports itself as skipped.
#include <cmath>
#include <cstdio>

#include "cuda_cases.h"
#include "test_util.h"

using namespace uniad;
using namespace uniad::test;

namespace {

struct Difference {
  double max_abs = 0;
  double worst_excess = -INFINITY;  // max over elements of |a - b| - (atol + rtol |b|)
};

Difference compare(const Tensor& gpu, const Tensor& cpu, double atol, double rtol) {
  const auto a = gpu.to_vector(), b = cpu.to_vector();
  Difference d;
  for (size_t i = 0; i < a.size(); ++i) {
    const double diff = std::abs(a[i] - b[i]);
    const bool both_nan = std::isnan(a[i]) && std::isnan(b[i]);
    const double excess = both_nan ? 0 : (std::isnan(diff) ? INFINITY : diff - (atol + rtol * std::abs(b[i])));
    if (!both_nan) d.max_abs = std::max(d.max_abs, std::isnan(diff) ? INFINITY : diff);
    d.worst_excess = std::max(d.worst_excess, excess);
  }
  return d;
}

}  // namespace

TEST_CASE("CUDA op table: the CPU side of every case runs") {
  REQUIRE(!cuda_cases().empty());
  for (const CudaCase& c : cuda_cases()) {
    CAPTURE(c.name);
    const NamedResults r = c.run(Device::cpu());
    CHECK(!r.empty());
    for (const auto& [name, t] : r) CHECK_MESSAGE(t.defined(), c.name, ": result ", name, " undefined");
  }
  std::printf("[cuda-table] %zu cases registered\n", cuda_cases().size());
}

TEST_CASE("CUDA op table: every op on the GPU matches the CPU") {
  if (!cuda_available()) {
    std::printf("[skip] CUDA op table: %zu cases not compared: %s (scripts/gpu_check.sh runs them on a GPU)\n",
                cuda_cases().size(), cuda_describe().c_str());
    return;
  }
  std::printf("[cuda-table] %s\n", cuda_describe().c_str());
  std::printf("%-64s %-6s %-5s %10s %9s %9s  %s\n", "case", "result", "prec", "max|diff|", "atol", "rtol", "");
  int failed = 0, rows = 0;
  const ops::MatmulPrecision saved = ops::matmul_precision();
  for (const CudaCase& c : cuda_cases()) {
    const NamedResults cpu = c.run(Device::cpu());
    NamedResults gpu;
    ops::set_matmul_precision(c.precision);
    try {
      gpu = c.run(Device::cuda());
    } catch (const std::exception& e) {
      ops::set_matmul_precision(saved);
      std::printf("%-64s ERROR %s\n", c.name.c_str(), e.what());
      ++failed;
      continue;
    }
    ops::set_matmul_precision(saved);
    REQUIRE_MESSAGE(gpu.size() == cpu.size(), c.name, ": ", gpu.size(), " GPU results vs ", cpu.size(), " on the CPU");
    for (size_t i = 0; i < cpu.size(); ++i) {
      const auto& [name, expected] = cpu[i];
      const Tensor& actual = gpu[i].second;
      bool ok = actual.defined() == expected.defined();
      Difference d;
      if (ok && expected.defined()) {
        ok = actual.shape() == expected.shape() && !actual.device().is_cpu();
        if (ok) {
          d = compare(actual, expected, c.atol, c.rtol);
          ok = d.worst_excess <= 0;
        }
      }
      ++rows;
      if (!ok) ++failed;
      std::printf("%-64s %-6s %-5s %10.3e %9.1e %9.1e  %s\n", c.name.c_str(), name.c_str(),
                  ops::matmul_precision_name(c.precision), d.max_abs, c.atol, c.rtol, ok ? "ok" : "FAIL");
      CHECK_MESSAGE(ok, c.name, " ", name, ": max |diff| ", d.max_abs, " (shape GPU ",
                    actual.defined() ? shape_str(actual.shape()) : "-", ", CPU ",
                    expected.defined() ? shape_str(expected.shape()) : "-", ")");
    }
  }
  std::printf("[cuda-table] %d results compared, %d failed\n", rows, failed);
  CHECK(failed == 0);
}

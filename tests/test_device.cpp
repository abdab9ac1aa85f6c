// The device field exists from day one; GPU work reports itself as skipped without a GPU.
#include <cstdio>

#include "tensor/tensor.h"
#include "test_util.h"

using namespace uniad;

TEST_CASE("tensors live on the CPU and say so, and other devices are refused clearly") {
  Tensor t = Tensor::zeros({2, 2});
  CHECK(t.device() == Device::cpu());
  CHECK(t.device().str() == "cpu");
  CHECK(Device::cuda(1).str() == "cuda:1");
  std::printf("[device] CUDA back end: %s\n", cuda_describe().c_str());
  if (!cuda_available()) {
    std::printf("[skip] no GPU here: GPU tests are skipped (they run in scripts/gpu_check.sh on a GPU machine)\n");
    CHECK_THROWS_WITH_AS(Tensor::empty({2}, DType::Float32, Device::cuda()), doctest::Contains("cuda:0"), Error);
  }
}

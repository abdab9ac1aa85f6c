// The device field exists from day one; GPU work reports itself as skipped without a GPU.
#include <cstdio>

#include "nn/layers.h"
#include "tensor/tensor.h"
#include "uniad/train_config.h"
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

TEST_CASE("devices parse from their names, and bad names are refused naming the text") {
  CHECK(parse_device("cpu") == Device::cpu());
  CHECK(parse_device("cuda") == Device::cuda(0));
  CHECK(parse_device("cuda:3") == Device::cuda(3));
  for (const char* bad : {"gpu0", "cuda:", "cuda:x", "CUDA", "cuda:-1", ""})
    CHECK_THROWS_WITH_AS(parse_device(bad), doctest::Contains("is not a device"), Error);
  TrainConfig t;
  t.device = "tpu";
  CHECK_THROWS_WITH_AS(t.validate(), doctest::Contains("train.device"), Error);
  t.device = "cuda:1";
  t.matmul_precision = "fp16";
  CHECK_THROWS_WITH_AS(t.validate(), doctest::Contains("train.matmul_precision"), Error);
  t.matmul_precision = "tf32";
  CHECK_NOTHROW(t.validate());  // a GPU is only needed when something is allocated on it
}

TEST_CASE("a module moved to the device it is on keeps its parameters, and says where it is") {
  Generator gen(1);
  nn::Linear layer(3, 2, true, gen);
  const ag::Variable w = layer.weight;
  const Tensor before = w.data();
  layer.to(Device::cpu());
  CHECK(layer.device() == Device::cpu());
  CHECK(layer.weight.data().shares_storage(before));  // no copy when nothing moves
  if (!cuda_available()) {
    std::printf("[skip] Module::to(cuda): %s\n", cuda_describe().c_str());
    CHECK_THROWS_WITH_AS(layer.to(Device::cuda()), doctest::Contains("cuda:0"), Error);
  }
}

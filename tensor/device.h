#pragma once
// Where a tensor's storage lives: host memory or one GPU. The CUDA back end (tensor/cuda/)
// sits behind the same Tensor, so nothing above tensor/ ever names a device API.
#include <string>

namespace uniad {

enum class DeviceType { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  static Device cpu() { return {DeviceType::CPU, 0}; }
  static Device cuda(int index = 0) { return {DeviceType::CUDA, index}; }
  bool is_cpu() const { return type == DeviceType::CPU; }
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const { return type == DeviceType::CPU ? "cpu" : "cuda:" + std::to_string(index); }
};

// "cpu", "cuda" (= "cuda:0") or "cuda:N"; throws naming the text otherwise. Does not check
// that the GPU exists: the first allocation on it does, naming what is visible.
Device parse_device(const std::string& text);

// Whether this build has the CUDA back end and a GPU is present (false on CPU-only builds).
bool cuda_available();
// Number of visible GPUs (0 without the CUDA back end).
int cuda_device_count();
// A one-line description of the first GPU, or why none is usable.
std::string cuda_describe();

}  // namespace uniad

#pragma once
// A flat, owned block of memory on one device. Tensors share storages to make views.
#include <cstddef>
#include <memory>

#include "tensor/device.h"

namespace uniad {

class Storage {
 public:
  // Allocates `nbytes` on `device` (64-byte aligned on the CPU so that SIMD loads are aligned).
  Storage(std::size_t nbytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() { return data_; }
  const void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  std::size_t nbytes_ = 0;
  Device device_;
};

}  // namespace uniad

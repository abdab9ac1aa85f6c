#include "tensor/storage.h"

#include <cstdlib>
#include <new>

#include "tensor/error.h"

namespace uniad {

Storage::Storage(std::size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  UNIAD_CHECK(device.is_cpu(), "Storage: device ", device.str(),
              " has no allocator in this build (only cpu computes so far)");
  const std::size_t rounded = ((nbytes + 63) / 64) * 64;
  data_ = rounded ? std::aligned_alloc(64, rounded) : nullptr;
  if (rounded && !data_) throw std::bad_alloc();
}

Storage::~Storage() { std::free(data_); }

}  // namespace uniad

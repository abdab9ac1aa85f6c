#include "tensor/storage.h"

#include <cstdlib>
#include <new>

#include "tensor/cuda/backend.h"
#include "tensor/error.h"

namespace uniad {

Storage::Storage(std::size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  if (!device.is_cpu()) {
    UNIAD_CHECK(cuda_available(), "Storage: cannot allocate on ", device.str(), ": ", cuda_describe());
    data_ = cuda::allocate(nbytes, device.index);
    return;
  }
  const std::size_t rounded = ((nbytes + 63) / 64) * 64;
  data_ = rounded ? std::aligned_alloc(64, rounded) : nullptr;
  if (rounded && !data_) throw std::bad_alloc();
}

Storage::~Storage() {
  if (device_.is_cpu()) std::free(data_);
  else cuda::release(data_, nbytes_, device_.index);
}

}  // namespace uniad

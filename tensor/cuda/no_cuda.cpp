// Device queries for builds without the CUDA back end (UNIAD_CUDA=OFF).
#include "tensor/device.h"

namespace uniad {
bool cuda_available() { return false; }
int cuda_device_count() { return 0; }
std::string cuda_describe() { return "built without CUDA (UNIAD_CUDA=OFF)"; }
}  // namespace uniad

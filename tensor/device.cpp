#include "tensor/device.h"

#include <cctype>

#include "tensor/error.h"

namespace uniad {

Device parse_device(const std::string& text) {
  if (text == "cpu") return Device::cpu();
  if (text == "cuda" || text == "gpu") return Device::cuda(0);
  if (text.rfind("cuda:", 0) == 0 && text.size() > 5) {
    const std::string digits = text.substr(5);
    bool ok = digits.size() <= 3;
    for (char c : digits) ok = ok && std::isdigit(static_cast<unsigned char>(c));
    if (ok) return Device::cuda(std::stoi(digits));
  }
  throw Error(cat("device: '", text, "' is not a device (expected cpu, cuda or cuda:N)"));
}

}  // namespace uniad

#include "tools/cli/device_options.h"

#include <cstdio>

namespace uniad::cli {

void add_device_options(CLI::App* cmd, std::vector<std::string>& overrides) {
  cmd->add_option_function<std::string>(
         "--device", [&overrides](const std::string& d) { overrides.push_back("train.device=" + d); },
         "Where the model computes: cpu, cuda or cuda:N (train.device; default cpu)")
      ->type_name("DEVICE");
  cmd->add_option_function<std::string>(
         "--precision", [&overrides](const std::string& p) { overrides.push_back("train.matmul_precision=" + p); },
         "float32 matrix products on the GPU: fp32, tf32 or bf16, all accumulating in fp32 "
         "(train.matmul_precision; default fp32)")
      ->type_name("PRECISION");
}

void place_model(nn::Module& model, const TrainConfig& train) {
  const Device device = train.compute_device();
  model.to(device);
  train.apply_matmul_precision();
  if (!device.is_cpu())
    std::fprintf(stderr, "device: %s, %s matrix products (%s)\n", device.str().c_str(), train.matmul_precision.c_str(),
                 cuda_describe().c_str());
}

}  // namespace uniad::cli

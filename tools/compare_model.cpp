// compare_model: runs our ReconstructionModel on weights and an input written by
// tools/compare_full_model.py, and writes the reconstruction back for the script to compare
// with PyTorch's.
//
//   compare_model IN.h5 OUT.h5
//     IN.h5:  /config (attributes: the ModelConfig fields), /model/<name> (every parameter,
//             named as in named_parameters()), /input [B, C, H, W]
//     OUT.h5: /reconstruction [B, C, H, W], float32, eval mode (no dropout, no jitter)
#include <chrono>
#include <cstdio>
#include <exception>

#include "uniad/model.h"
#include "uniad/state_io.h"

using namespace uniad;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s IN.h5 OUT.h5\n", argv[0]);
    return 2;
  }
  try {
    const h5::File in = h5::File::open_read(argv[1]);
    const ModelConfig config = load_model_config(in, "/config");
    Generator gen(0);  // the constructor's initial draws are all overwritten by the load
    ReconstructionModel model(config, gen);
    load_parameters(model, in, "/model");
    model.eval();
    const Tensor features = in.read("/input", DType::Float32);  // [B, C, H, W]

    const auto start = std::chrono::steady_clock::now();
    Tensor rec;
    {
      ag::NoGradGuard no_grad;
      rec = model.forward(features).data();  // [B, C, H, W]
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("compare_model: %s, %lld parameters, input %s, forward %.3f s\n", network_kind_name(config.network),
                static_cast<long long>(model.num_parameters()), shape_str(features.shape()).c_str(), seconds);

    h5::File out = h5::File::create(argv[2]);
    out.write("/reconstruction", rec);
    out.close();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "compare_model: %s\n", e.what());
    return 1;
  }
  return 0;
}

// uniad prepare mobilenet-v2: nsfwjs's MobileNetV2 (model.json + weights.bin from
// tools/nsfwjs_to_json.js) -> the project's HDF5 backbone weights (docs/backbones.md).
// scripts/fetch_mobilenet_v2.sh runs the whole chain.
#include <cstdio>

#include "data/mobilenet_v2_convert.h"
#include "tensor/error.h"
#include "tools/cli/commands.h"

namespace uniad::cli {

void add_prepare_mobilenet(CLI::App& parent) {
  struct Options {
    std::string model_json, weights_bin, out, source = "nsfwjs@4.3.0 dist/models/mobilenet_v2 (Keras 2.2.4 "
                                                       "MobileNetV2, uint8-quantized), converted by uniad prepare mobilenet-v2";
  };
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = parent.add_subcommand("mobilenet-v2", "Convert nsfwjs's MobileNetV2 (model.json + weights.bin) into "
                                                        "the project's HDF5 backbone weights");
  cmd->add_option("--model-json", opt->model_json, "model.json written by tools/nsfwjs_to_json.js")->required();
  cmd->add_option("--weights-bin", opt->weights_bin, "weights.bin beside it")->required();
  cmd->add_option("--out", opt->out, "HDF5 file to write (atomically), e.g. weights/mobilenet_v2.h5")->required();
  cmd->add_option("--source", opt->source, "text for the file's 'source' attribute");
  cmd->callback([opt] {
    const data::ConversionSummary s =
        data::convert_tfjs_mobilenet_v2(opt->model_json, opt->weights_bin, opt->out, opt->source);
    std::printf("wrote %s: %lld tensors, %lld values dequantized from %lld bytes\n", opt->out.c_str(),
                (long long)s.tensors, (long long)s.values, (long long)s.bytes);
    std::printf("layers up to block_%d are frozen ImageNet weights; later layers were fine-tuned for another task "
                "(recorded as attribute last_imagenet_block)\n", s.last_imagenet_block);
  });
}

}  // namespace uniad::cli

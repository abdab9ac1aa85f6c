#pragma once
// TensorFlow.js layers model (model.json + weights.bin, as tools/nsfwjs_to_json.js writes them
// from the nsfwjs package) -> the project's backbone weight file (docs/backbones.md).
//
// model.json's weightsManifest lists every tensor (name "layer/kernel", Keras shape, dtype and
// an optional quantization {dtype uint8|uint16, scale, min}); weights.bin holds them back to back
// in manifest order, 1, 2 or 4 bytes per value. Values are value = q * scale + min. Keras layouts
// become PyTorch's:
//   Conv2D kernel [kH, kW, I, O]            -> "<layer>/weight" [O, I, kH, kW]
//   DepthwiseConv2D kernel [kH, kW, C, 1]   -> "<layer>/weight" [C, 1, kH, kW]
//   Dense kernel [in, out]                  -> "<layer>/weight" [out, in]
//   bias                                    -> "<layer>/bias"
//   BatchNormalization gamma, beta, moving_mean, moving_variance
//                                           -> "<layer>/weight", bias, running_mean, running_var
#include <cstdint>
#include <string>

namespace uniad::data {

struct ConversionSummary {
  int64_t tensors = 0, values = 0, bytes = 0;
  int last_imagenet_block = -1;  // the last block whose layers are all frozen (trainable false)
};

// Writes `out` atomically (temp file, checked by loading it as MobileNetV2, then renamed).
// Errors name the file and the tensor: an unknown layer, a byte count that does not match the
// manifest, an unsupported dtype, a BatchNorm epsilon other than 1e-3.
ConversionSummary convert_tfjs_mobilenet_v2(const std::string& model_json, const std::string& weights_bin,
                                            const std::string& out, const std::string& source);

}  // namespace uniad::data

#include "nn/layers.h"

#include "nn/init.h"

namespace uniad::nn {

Linear::Linear(int64_t in_features, int64_t out_features, bool with_bias, Generator& gen) {
  weight = register_parameter("weight", Tensor::empty({out_features, in_features}));
  if (with_bias) bias = register_parameter("bias", Tensor::empty({out_features}));
  init::default_linear_(weight, with_bias ? &bias : nullptr, gen);
}

LayerNorm::LayerNorm(int64_t dim, double eps) : eps_(eps) {
  weight = register_parameter("weight", Tensor::ones({dim}));
  bias = register_parameter("bias", Tensor::zeros({dim}));
}

Embedding::Embedding(int64_t num_embeddings, int64_t dim, Generator& gen) {
  weight = register_parameter("weight", Tensor::empty({num_embeddings, dim}));
  init::normal_(weight, gen);
}

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, const ag::Conv2dOptions& opt,
               bool with_bias, Generator& gen)
    : opt_(opt) {
  UNIAD_CHECK(opt.groups > 0 && in_channels % opt.groups == 0 && out_channels % opt.groups == 0, "Conv2d: ",
              in_channels, " in and ", out_channels, " out channels are not divisible by groups ", opt.groups);
  weight = register_parameter("weight", Tensor::empty({out_channels, in_channels / opt.groups, kernel, kernel}));
  if (with_bias) bias = register_parameter("bias", Tensor::empty({out_channels}));
  init::default_linear_(weight, with_bias ? &bias : nullptr, gen);
}

}  // namespace uniad::nn

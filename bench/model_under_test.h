#pragma once
// The benchmarked model, optimiser and one batch of features, as in torch_train_step.py: the
// paper-size UniAD model (272x14x14 input, dropout and jitter on), AdamW with the paper's
// settings, global-norm clipping at 0.1. Shared by the CPU and GPU model benchmarks.
#include "autograd/profile.h"
#include "nn/optim.h"
#include "uniad/model.h"

namespace uniad::bench {

struct ModelUnderTest {
  // On `device`: the model is built on the CPU (the same weights as there) and moved before the
  // optimiser sees its parameters; the features are drawn on the CPU and copied.
  ModelUnderTest(int batch, Device device = Device::cpu())
      : gen(0), model(ModelConfig{}, gen), data(1),
        features(rand_normal({batch, 272, 14, 14}, 0, 1, data).to(device)),  // [B, C, H, W]
        optimizer(moved(model, device).named_parameters(), nn::AdamWOptions{1e-4, 0.9, 0.999, 1e-8, 1e-4}) {}

  void train_step() {
    model.train();
    optimizer.zero_grad();
    ag::Variable loss = ag::mse_loss(model.forward(features), features);
    loss.backward();
    ag::ProfileScope clip("optimizer", "clip_grad_norm");
    nn::clip_grad_norm(model.named_parameters(), 0.1);
  }
  void optimizer_step() {
    ag::ProfileScope step("optimizer", "adamw");
    optimizer.step();
  }
  void full_step() {
    train_step();
    optimizer_step();
  }
  void eval_forward() {
    ag::NoGradGuard no_grad;
    model.eval();
    model.forward(features);
  }
  int64_t parameters() const {
    int64_t n = 0;
    for (const auto& [name, p] : model.named_parameters()) n += p.numel();
    return n;
  }

  Generator gen;
  ReconstructionModel model;
  Generator data;
  Tensor features;
  nn::AdamW optimizer;

 private:
  static nn::Module& moved(nn::Module& m, Device device) {
    if (device != Device::cpu()) m.to(device);
    return m;
  }
};

}  // namespace uniad::bench

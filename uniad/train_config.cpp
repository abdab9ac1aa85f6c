#include "uniad/train_config.h"

#include "tensor/error.h"
#include "tensor/matmul.h"

namespace uniad {

void TrainConfig::validate() const {
  UNIAD_CHECK(epochs >= 1, "train.epochs must be >= 1, got ", epochs);
  UNIAD_CHECK(batch_size >= 1, "train.batch_size must be >= 1, got ", batch_size);
  UNIAD_CHECK(lr > 0, "train.lr must be positive, got ", lr);
  UNIAD_CHECK(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "train.beta1/beta2 must be in [0, 1), got ", beta1,
              " and ", beta2);
  UNIAD_CHECK(adam_eps > 0, "train.adam_eps must be positive, got ", adam_eps);
  UNIAD_CHECK(weight_decay >= 0, "train.weight_decay must be >= 0, got ", weight_decay);
  UNIAD_CHECK(clip_norm >= 0, "train.clip_norm must be >= 0, got ", clip_norm);
  UNIAD_CHECK(schedule == "step" || schedule == "cosine" || schedule == "constant",
              "train.schedule must be step, cosine or constant, got '", schedule, "'");
  UNIAD_CHECK(schedule != "cosine" || (warmup_epochs >= 0 && warmup_epochs < epochs),
              "train.warmup_epochs must be in [0, train.epochs) for the cosine schedule, got ", warmup_epochs,
              " with train.epochs ", epochs);
  UNIAD_CHECK(step_epochs >= 1, "train.step_epochs must be >= 1, got ", step_epochs);
  UNIAD_CHECK(val_fraction >= 0 && val_fraction < 1, "train.val_fraction must be in [0, 1), got ", val_fraction);
  UNIAD_CHECK(val_every >= 0, "train.val_every must be >= 0, got ", val_every);
  UNIAD_CHECK(max_minutes >= 0, "train.max_minutes must be >= 0, got ", max_minutes);
  UNIAD_CHECK(track_test_every >= 0, "train.track_test_every must be >= 0, got ", track_test_every);
  UNIAD_CHECK(shortcut_every >= 0, "train.shortcut_every must be >= 0 (0: off), got ", shortcut_every);
  UNIAD_CHECK(threads >= 0, "train.threads must be >= 0, got ", threads);
  compute_device();  // both throw naming the key when its text is not a device / precision
  try {
    ops::parse_matmul_precision(matmul_precision);
  } catch (const Error& e) {
    throw Error(cat("train.matmul_precision: ", e.what()));
  }
}

Device TrainConfig::compute_device() const {
  try {
    return parse_device(device);
  } catch (const Error& e) {
    throw Error(cat("train.device: ", e.what()));
  }
}

void TrainConfig::apply_matmul_precision() const {
  validate();
  ops::set_matmul_precision(ops::parse_matmul_precision(matmul_precision));
}

}  // namespace uniad

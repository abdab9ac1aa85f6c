#include "uniad/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "tensor/gather.h"

namespace uniad {

namespace {

// Fisher-Yates with our portable generator (std::shuffle differs between standard libraries).
void shuffle(std::vector<int64_t>& v, Generator& gen) {
  for (int64_t i = static_cast<int64_t>(v.size()) - 1; i > 0; --i) {
    const int64_t j = static_cast<int64_t>(gen.next_u64() % static_cast<uint64_t>(i + 1));
    std::swap(v[i], v[j]);
  }
}

std::unique_ptr<nn::LrSchedule> make_schedule(const TrainConfig& t) {
  if (t.schedule == "constant") return std::make_unique<nn::ConstantLR>(t.lr);
  if (t.schedule == "cosine") return std::make_unique<nn::CosineLR>(t.lr, t.epochs, t.min_lr, t.warmup_epochs);
  return std::make_unique<nn::StepLR>(t.lr, t.step_epochs, t.gamma);
}

void append_line(const std::string& path, const nlohmann::json& j) {
  std::ofstream out(path, std::ios::app);
  out << j.dump() << '\n';
}

}  // namespace

Split validation_split(int64_t n, double fraction, uint64_t seed) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  Generator gen(seed ^ 0x5EED5EED5EEDull);  // its own stream: the split never depends on other draws
  shuffle(order, gen);
  int64_t n_val = static_cast<int64_t>(std::llround(static_cast<double>(n) * fraction));
  if (fraction > 0 && n > 1) n_val = std::max<int64_t>(n_val, 1);
  n_val = std::min(n_val, n - 1);
  Split s;
  s.val.assign(order.begin(), order.begin() + n_val);
  s.train.assign(order.begin() + n_val, order.end());
  return s;
}

Tensor take_rows(const Tensor& features, const std::vector<int64_t>& indices) {
  Shape out_shape = features.shape();
  out_shape[0] = static_cast<int64_t>(indices.size());
  const Tensor flat = features.reshape({features.size(0), -1});  // [N, C*H*W]
  const Tensor idx = Tensor::from_indices(indices, {static_cast<int64_t>(indices.size())}).to(features.device());
  return ops::gather_rows(flat, idx, "take_rows").view(out_shape);
}

void Trainer::log(const nlohmann::json& line) const {
  if (!run_dir_.empty()) append_line(run_dir_ + "/log.jsonl", line);
}

void Trainer::write_config() const {
  if (run_dir_.empty()) return;
  std::filesystem::create_directories(run_dir_);
  std::ofstream(run_dir_ + "/config.json") << to_json(config_).dump(2) << '\n';
}

int64_t Trainer::fit_epochs_to_budget(double seconds_per_epoch, int64_t epochs_done) {
  TrainConfig& t = config_.train;
  const double budget = t.max_minutes * 60;
  const int64_t fitting = static_cast<int64_t>(std::floor(budget / std::max(seconds_per_epoch, 1e-9)));
  // At least the epochs already done, and one more than the warm-up so the cosine part exists.
  const int64_t floor_epochs = std::max<int64_t>({epochs_done, 1, t.warmup_epochs + 1});
  const int64_t epochs = std::clamp<int64_t>(fitting, std::min(floor_epochs, t.epochs), t.epochs);
  if (epochs == t.epochs) return epochs;
  t.epochs = epochs;
  schedule_ = make_schedule(t);
  write_config();
  log({{"budget", {{"minutes", t.max_minutes}, {"seconds_per_epoch", seconds_per_epoch}, {"epochs", epochs}}}});
  return epochs;
}

Trainer::Trainer(const RunConfig& config, const std::string& run_dir)
    : config_(config), run_dir_(run_dir), model_gen_(config.train.seed), data_gen_(config.train.seed + 1) {
  config_.model.validate();
  config_.train.validate();
  model_ = std::make_unique<ReconstructionModel>(config_.model, model_gen_);
  const TrainConfig& t = config_.train;
  // Weights are drawn on the CPU (the same initial model on every device), then moved; the
  // optimiser's state is created beside the parameters.
  model_->to(t.compute_device());
  t.apply_matmul_precision();
  optimizer_ = std::make_unique<nn::AdamW>(model_->named_parameters(),
                                           nn::AdamWOptions{t.lr, t.beta1, t.beta2, t.adam_eps, t.weight_decay});
  schedule_ = make_schedule(t);
  write_config();
}

double Trainer::evaluate_loss(const Tensor& features, int64_t batch_size) {
  ag::NoGradGuard no_grad;
  const bool was_training = model_->is_training();
  model_->eval();
  double total = 0;
  const int64_t n = features.size(0);
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t end = std::min(n, start + batch_size);
    const Tensor batch = features.slice(0, start, end);  // [b, C, H, W]
    total += ag::mse_loss(model_->forward(batch), batch.contiguous()).item() * static_cast<double>(end - start);
  }
  model_->train(was_training);
  return total / static_cast<double>(std::max<int64_t>(n, 1));
}

TrainResult Trainer::fit(const Tensor& features, const std::string& resume_from) {
  TrainConfig& t = config_.train;
  UNIAD_CHECK(features.dim() == 4 && features.dtype() == DType::Float32, "Trainer::fit: features must be float32 "
              "[N, C, H, W], got ", dtype_name(features.dtype()), " ", shape_str(features.shape()));
  const Split split = validation_split(features.size(0), t.val_fraction, t.seed);
  // The whole training set moves to the model's device once; batches are gathered there.
  const Tensor train_set = take_rows(features, split.train).to(model_->device());  // [N_train, C, H, W]
  const Tensor val_set = take_rows(features, split.val).to(model_->device());      // [N_val, C, H, W]
  const std::string log_path = run_dir_.empty() ? "" : run_dir_ + "/log.jsonl";

  TrainingState state;
  if (!resume_from.empty()) {
    state = load_checkpoint(resume_from, *model_, optimizer_.get()).state;
    model_gen_.set_state(state.model_rng);
    data_gen_.set_state(state.data_rng);
  }
  TrainResult result;
  result.best_val_loss = state.best_val_loss;
  const int64_t n = train_set.size(0);
  const int64_t steps_per_epoch = (n + t.batch_size - 1) / t.batch_size;
  const auto start_time = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count(); };
  model_->train();
  const int64_t first_epoch = state.epoch;
  const bool fit_budget = t.max_minutes > 0 && t.schedule == "cosine" && first_epoch == 0;

  for (int64_t epoch = state.epoch; epoch < t.epochs; ++epoch) {
    schedule_->apply(*optimizer_, epoch);
    std::vector<int64_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    shuffle(order, data_gen_);
    for (int64_t b = 0; b < steps_per_epoch; ++b) {
      const std::vector<int64_t> rows(order.begin() + b * t.batch_size,
                                      order.begin() + std::min(n, (b + 1) * t.batch_size));
      const Tensor batch = take_rows(train_set, rows);  // [b, C, H, W]
      ag::Variable loss = ag::mse_loss(model_->forward(batch), batch);
      const double value = loss.item();
      UNIAD_CHECK(std::isfinite(value), "training stopped: the loss became ", value, " at epoch ", epoch, ", step ",
                  state.step, " (lr ", optimizer_->lr(), "); the last good checkpoint is ", run_dir_, "/last.h5");
      optimizer_->zero_grad();
      loss.backward();
      if (t.clip_norm > 0) nn::clip_grad_norm(model_->named_parameters(), t.clip_norm);
      optimizer_->step();
      ++state.step;
      result.last_loss = value;
      const StepReport report{state.step, epoch, t.epochs, steps_per_epoch, value, optimizer_->lr(), seconds()};
      if (!log_path.empty())
        append_line(log_path, {{"step", report.step}, {"epoch", epoch}, {"loss", value}, {"lr", report.lr},
                               {"seconds", report.seconds}});
      if (on_step) on_step(report);
    }
    state.epoch = epoch + 1;
    state.lr = optimizer_->lr();
    if (t.val_every > 0 && val_set.size(0) > 0 && state.epoch % t.val_every == 0) {
      const double val = evaluate_loss(val_set, t.batch_size);
      const bool best = val < state.best_val_loss;
      if (best) state.best_val_loss = val;
      if (!log_path.empty())
        append_line(log_path, {{"epoch", state.epoch}, {"val_loss", val}, {"best", best}, {"seconds", seconds()}});
      state.model_rng = model_gen_.state();
      state.data_rng = data_gen_.state();
      if (best && !run_dir_.empty()) save_checkpoint(run_dir_ + "/best.h5", config_, *model_, optimizer_.get(), state);
    }
    state.model_rng = model_gen_.state();
    state.data_rng = data_gen_.state();
    if (!run_dir_.empty()) save_checkpoint(run_dir_ + "/last.h5", config_, *model_, optimizer_.get(), state);
    result.epochs_completed = state.epoch;
    if (on_epoch) {
      model_->eval();
      on_epoch(state.epoch);
      model_->train();
    }
    if (fit_budget && state.epoch == 1) result.budget_epochs = fit_epochs_to_budget(seconds(), state.epoch);
    if (t.max_minutes > 0 && seconds() > t.max_minutes * 60) {
      result.stopped_by_time = true;
      break;
    }
  }
  result.steps = state.step;
  result.best_val_loss = state.best_val_loss;
  return result;
}

}  // namespace uniad

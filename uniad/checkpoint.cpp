#include "uniad/checkpoint.h"

#include "tensor/hdf5_io.h"
#include "uniad/state_io.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace uniad {

#ifndef UNIAD_GIT_REVISION
#define UNIAD_GIT_REVISION "unknown"
#endif

std::string code_version() { return std::string("0.1.0+") + UNIAD_GIT_REVISION; }

namespace {

Tensor rng_to_tensor(const std::array<uint64_t, 4>& s) {
  std::vector<int64_t> v(4);
  std::memcpy(v.data(), s.data(), sizeof(uint64_t) * 4);  // bit pattern kept: int64 holds any uint64
  return Tensor::from_indices(v, {4});
}

std::array<uint64_t, 4> rng_from_tensor(const Tensor& t) {
  std::array<uint64_t, 4> s{};
  std::memcpy(s.data(), t.contiguous().data<int64_t>(), sizeof(uint64_t) * 4);
  return s;
}

}  // namespace

void save_checkpoint(const std::string& path, const RunConfig& config, const nn::Module& model,
                     const nn::Optimizer* optimizer, const TrainingState& state) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    h5::File f = h5::File::create(tmp);
    f.write_int("/format_version", kCheckpointFormatVersion);
    f.write_string("/code_version", code_version());
    f.write_string("/config", to_json(config).dump(2));
    save_parameters(model, f, "/model");
    if (optimizer) {
      const nn::OptimizerState os = optimizer->export_state();
      f.write_int("/optimizer/step_count", os.step_count);
      for (const nn::StateEntry& e : os.entries) f.write("/optimizer/" + e.param + "/" + e.buffer, e.value);
    }
    f.write_int("/train/epoch", state.epoch);
    f.write_int("/train/step", state.step);
    f.write("/train/best_val_loss", Tensor::scalar(state.best_val_loss, DType::Float64));
    f.write("/train/lr", Tensor::scalar(state.lr, DType::Float64));
    f.write("/rng/model", rng_to_tensor(state.model_rng));
    f.write("/rng/data", rng_to_tensor(state.data_rng));
    f.close();
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  UNIAD_CHECK(std::rename(tmp.c_str(), path.c_str()) == 0, path, ": cannot move the finished checkpoint into place: ",
              std::strerror(errno));
}

// Configuration and progress from an open checkpoint file.
static CheckpointInfo read_info(const h5::File& f) {
  const std::string& path = f.path();
  const int64_t version = f.read_int("/format_version");
  UNIAD_CHECK(version == kCheckpointFormatVersion, path, ": checkpoint format version ", version,
              ", this build reads version ", kCheckpointFormatVersion);
  CheckpointInfo info;
  const std::string text = f.read_string("/config");
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  UNIAD_CHECK(!j.is_discarded(), path, ": /config is not valid JSON");
  info.config = run_config_from_json(j, path + ": /config");
  info.code_version = f.read_string("/code_version");
  info.state.epoch = f.read_int("/train/epoch");
  info.state.step = f.read_int("/train/step");
  info.state.best_val_loss = f.read("/train/best_val_loss", DType::Float64).item();
  info.state.lr = f.read("/train/lr", DType::Float64).item();
  info.state.model_rng = rng_from_tensor(f.read("/rng/model", DType::Int64, {4}));
  info.state.data_rng = rng_from_tensor(f.read("/rng/data", DType::Int64, {4}));
  return info;
}

CheckpointInfo read_checkpoint_info(const std::string& path) { return read_info(h5::File::open_read(path)); }

CheckpointInfo load_checkpoint(const std::string& path, nn::Module& model, nn::Optimizer* optimizer) {
  const h5::File f = h5::File::open_read(path);  // opened once: info, parameters and optimiser state
  CheckpointInfo info = read_info(f);
  load_parameters(model, f, "/model");
  if (optimizer) {
    UNIAD_CHECK(f.exists("/optimizer/step_count"), path, ": holds no optimiser state (saved for inference only?)");
    nn::OptimizerState os;
    os.step_count = f.read_int("/optimizer/step_count");
    for (const std::string& param_group : f.list_groups("/optimizer")) {
      const std::string param = param_group.substr(std::string("/optimizer/").size());
      for (const std::string& ds : f.list_datasets(param_group))
        os.entries.push_back({param, ds.substr(param_group.size() + 1), f.read(ds)});
    }
    optimizer->restore_state(os);
  }
  return info;
}

}  // namespace uniad

#include "uniad/state_io.h"

#include "uniad/config_io.h"

#include <map>
#include <set>
#include <sstream>

namespace uniad {

namespace {

std::string join_path(const std::string& group, const std::string& name) {
  return (group.empty() || group.back() != '/') ? group + "/" + name : group + name;
}

}  // namespace

void save_parameters(const nn::Module& module, h5::File& file, const std::string& group) {
  for (const auto& [name, p] : module.named_parameters()) file.write(join_path(group, name), p.data());
}

void load_parameters(nn::Module& module, const h5::File& file, const std::string& group) {
  // Stored names relative to the group, e.g. "encoder.layers.0.norm1.weight".
  std::set<std::string> stored;
  const std::string prefix = join_path(group, "");
  for (const std::string& path : file.list_datasets(group)) stored.insert(path.substr(prefix.size()));

  // Read and check everything first, so that a bad file leaves the module untouched.
  std::vector<std::string> missing, mismatched;
  std::map<std::string, Tensor> values;
  for (const auto& [name, p] : module.named_parameters()) {
    if (stored.erase(name) == 0) {
      missing.push_back(name);
      continue;
    }
    Tensor t = file.read(join_path(group, name));
    if (t.shape() != p.shape())
      mismatched.push_back(cat(name, " (stored ", shape_str(t.shape()), ", model ", shape_str(p.shape()), ")"));
    else
      values.emplace(name, std::move(t));
  }
  if (!missing.empty() || !stored.empty() || !mismatched.empty()) {
    std::ostringstream msg;
    msg << "load_parameters: " << file.path() << ":" << prefix << " does not match the module";
    auto list = [&](const char* what, const auto& names) {
      if (names.empty()) return;
      msg << "\n  " << what << " (" << names.size() << "):";
      for (const auto& n : names) msg << "\n    " << n;
    };
    list("missing from the file", missing);
    list("unexpected in the file", stored);
    list("shape mismatch", mismatched);
    throw Error(msg.str());
  }
  for (auto& [name, p] : module.named_parameters()) p.mutable_data().copy_(values.at(name));  // converts dtype
}

// The fields and their types come from the configuration's JSON form (uniad/config_io.h), the
// one list of configurable fields; here they become attributes (booleans as 0/1 integers).
void save_model_config(const ModelConfig& config, h5::File& file, const std::string& group) {
  if (!file.exists(group)) file.create_group(group);
  RunConfig run;
  run.model = config;
  const nlohmann::json fields = to_json(run)["model"];
  for (const auto& [name, value] : fields.items()) {
    if (value.is_string()) file.set_attr(group, name, value.get<std::string>());
    else if (value.is_number_float()) file.set_attr(group, name, value.get<double>());
    else file.set_attr(group, name, value.is_boolean() ? int64_t{value.get<bool>()} : value.get<int64_t>());
  }
}

ModelConfig load_model_config(const h5::File& file, const std::string& group) {
  nlohmann::json model = nlohmann::json::object();
  const nlohmann::json fields = to_json(RunConfig{})["model"];  // names and types of the fields
  for (const auto& [name, defaults] : fields.items()) {
    UNIAD_CHECK(file.has_attr(group, name), "load_model_config: ", file.path(), ":", group, " has no attribute '",
                name, "'");
    if (defaults.is_string()) model[name] = file.attr_string(group, name);
    else if (defaults.is_number_float()) model[name] = file.attr_double(group, name);
    else if (defaults.is_boolean()) model[name] = file.attr_int(group, name) != 0;
    else model[name] = file.attr_int(group, name);
  }
  ModelConfig c = run_config_from_json({{"model", model}}, file.path() + ":" + group).model;
  c.validate();
  return c;
}

}  // namespace uniad

#include "uniad/state_io.h"

#include <map>
#include <set>
#include <sstream>

namespace uniad {

namespace {

std::string join_path(const std::string& group, const std::string& name) {
  return (group.empty() || group.back() != '/') ? group + "/" + name : group + name;
}

// The numeric fields of ModelConfig, visited by name so that saving and loading cannot drift
// apart. `visit` is called as visit(name, field) with an int64_t&, double& or bool& field.
template <typename Config, typename Visit>
void for_each_numeric_field(Config& c, Visit&& visit) {
  visit("feature_channels", c.feature_channels);
  visit("grid_h", c.grid_h);
  visit("grid_w", c.grid_w);
  visit("hidden_dim", c.hidden_dim);
  visit("heads", c.heads);
  visit("encoder_layers", c.encoder_layers);
  visit("decoder_layers", c.decoder_layers);
  visit("ffn_dim", c.ffn_dim);
  visit("dropout", c.dropout);
  visit("learned_pos_embed", c.learned_pos_embed);
  visit("mask_encoder", c.mask_encoder);
  visit("mask_decoder1", c.mask_decoder1);
  visit("mask_decoder2", c.mask_decoder2);
  visit("mask_window", c.mask_window);
  visit("jitter_scale", c.jitter_scale);
  visit("jitter_prob", c.jitter_prob);
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

void save_model_config(const ModelConfig& config, h5::File& file, const std::string& group) {
  if (!file.exists(group)) file.create_group(group);
  file.set_attr(group, "network", network_kind_name(config.network));
  ModelConfig c = config;
  for_each_numeric_field(c, [&](const char* name, auto& field) {
    using T = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<T, double>) file.set_attr(group, name, field);
    else file.set_attr(group, name, static_cast<int64_t>(field));
  });
}

ModelConfig load_model_config(const h5::File& file, const std::string& group) {
  ModelConfig c;
  auto require = [&](const char* name) {
    UNIAD_CHECK(file.has_attr(group, name), "load_model_config: ", file.path(), ":", group, " has no attribute '",
                name, "'");
  };
  require("network");
  c.network = parse_network_kind(file.attr_string(group, "network"));
  for_each_numeric_field(c, [&](const char* name, auto& field) {
    require(name);
    using T = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<T, double>) field = file.attr_double(group, name);
    else field = static_cast<T>(file.attr_int(group, name));
  });
  c.validate();
  return c;
}

}  // namespace uniad

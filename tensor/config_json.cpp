#include "tensor/config_json.h"

#include "tensor/error.h"

namespace uniad {

std::string apply_json_override(nlohmann::json& j, const std::string& assignment, const std::string& example) {
  const auto eq = assignment.find('=');
  const auto dot = assignment.find('.');
  UNIAD_CHECK(eq != std::string::npos && dot != std::string::npos && dot < eq, "--set '", assignment,
              "': expected section.key=value, e.g. ", example);
  const std::string section = assignment.substr(0, dot), key = assignment.substr(dot + 1, eq - dot - 1);
  const std::string text = assignment.substr(eq + 1);
  nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) value = text;  // bare words are strings: model.network=mlp
  UNIAD_CHECK(j.is_object() && (!j.contains(section) || j[section].is_object()), "--set '", assignment,
              "': section '", section, "' is not an object");
  j[section][key] = value;
  return section + "." + key;
}

}  // namespace uniad

#pragma once
// The one rule for command-line overrides of JSON configurations, shared by every configurable
// layer (uniad/config_io.h for runs, data/feature_config.h for feature caches):
//   "section.key=value" sets j[section][key]; the value is parsed as JSON when it can be
//   (numbers, true, false, lists), else taken as a string, so bare words need no quotes.
#include <string>

#include <nlohmann/json.hpp>

namespace uniad {

// Returns "section.key". Errors name the assignment; `example` shows the expected form.
std::string apply_json_override(nlohmann::json& j, const std::string& assignment,
                                const std::string& example = "train.lr=5e-4");

}  // namespace uniad

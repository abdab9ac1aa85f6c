#include "uniad/threshold.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

#include "tensor/error.h"
#include "tensor/text_file.h"

namespace uniad {

double quantile(std::span<const double> scores, double q) {
  UNIAD_CHECK(!scores.empty(), "quantile: no scores");
  UNIAD_CHECK(q >= 0 && q <= 1, "quantile: q must be in [0, 1], got ", q);
  std::vector<double> sorted(scores.begin(), scores.end());
  for (size_t i = 0; i < sorted.size(); ++i)
    UNIAD_CHECK(!std::isnan(sorted[i]), "quantile: score ", i, " is NaN");
  std::sort(sorted.begin(), sorted.end());
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

nlohmann::json to_json(const Threshold& t) {
  return {{"value", t.value},
          {"quantile", t.quantile},
          {"validation_images", t.validation_images},
          {"checkpoint", t.checkpoint},
          {"map_lo", t.map_lo},
          {"map_hi", t.map_hi},
          {"rule", "the quantile of the image scores of the held-out normal validation images"}};
}

Threshold read_threshold(const std::string& path) {
  std::ifstream in(path);
  UNIAD_CHECK(in.good(), path, ": cannot open the threshold file (written by `uniad eval`)");
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  UNIAD_CHECK(!j.is_discarded() && j.is_object(), path, ": not a JSON object");
  Threshold t;
  for (const char* key : {"value", "quantile", "validation_images"})
    UNIAD_CHECK(j.contains(key) && j[key].is_number(), path, ": missing or non-numeric '", key, "'");
  t.value = j["value"].get<double>();
  t.quantile = j["quantile"].get<double>();
  t.validation_images = j["validation_images"].get<int64_t>();
  if (j.contains("checkpoint") && j["checkpoint"].is_string()) t.checkpoint = j["checkpoint"].get<std::string>();
  if (j.contains("map_lo") && j["map_lo"].is_number()) t.map_lo = j["map_lo"].get<float>();
  if (j.contains("map_hi") && j["map_hi"].is_number()) t.map_hi = j["map_hi"].get<float>();
  return t;
}

void write_threshold(const std::string& path, const Threshold& t) {
  write_text_file_atomically(path, to_json(t).dump(2) + "\n");
}

}  // namespace uniad

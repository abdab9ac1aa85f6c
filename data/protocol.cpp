#include "data/protocol.h"

#include "tensor/error.h"

namespace uniad::data {
namespace {

void check_label(int64_t label, int64_t index, const char* which) {
  UNIAD_CHECK(label >= 0 && label < kProtocolClasses, "unified_protocol: ", which, " label ", label, " at index ",
              index, " is outside 0-", kProtocolClasses - 1);
}

}  // namespace

const std::vector<std::string>& unified_split_names() {
  static const std::vector<std::string> names = {"01234", "02468", "13579", "56789"};
  return names;
}

std::array<bool, kProtocolClasses> normal_classes(const std::string& split) {
  std::string known;
  for (const std::string& name : unified_split_names()) {
    if (name == split) {
      std::array<bool, kProtocolClasses> normal{};
      for (char digit : name) normal[digit - '0'] = true;  // the name spells the normal classes
      return normal;
    }
    known += (known.empty() ? "" : ", ") + name;
  }
  throw Error(cat("unified_protocol: unknown split \"", split, "\"; known splits: ", known));
}

ProtocolIndices unified_protocol(const std::string& split, const std::vector<int64_t>& train_labels,
                                 const std::vector<int64_t>& test_labels) {
  const auto normal = normal_classes(split);
  ProtocolIndices out;
  for (size_t i = 0; i < train_labels.size(); ++i) {
    check_label(train_labels[i], i, "training");
    if (normal[train_labels[i]]) out.train.push_back(static_cast<int64_t>(i));
  }
  for (size_t i = 0; i < test_labels.size(); ++i) {
    check_label(test_labels[i], i, "test");
    out.test.push_back(static_cast<int64_t>(i));
    out.test_anomaly.push_back(normal[test_labels[i]] ? 0 : 1);
  }
  return out;
}

}  // namespace uniad::data

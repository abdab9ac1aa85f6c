#pragma once
// Looking up a suite, benchmark or preset by its name; a miss is an error that lists the names.
#include <string>
#include <vector>

#include "tensor/error.h"

namespace uniad {

// `option` names where the name came from ("--suite"), `extra` adds to the list of choices.
template <typename Item>
const Item& find_named(const std::vector<Item>& items, const std::string& name, const std::string& option,
                       const std::string& extra = "") {
  std::string known;
  for (const Item& item : items) {
    if (item.name == name) return item;
    known += (known.empty() ? "" : ", ") + item.name;
  }
  throw Error(cat(option, ": unknown name '", name, "' (choose ", known, extra, ")"));
}

}  // namespace uniad

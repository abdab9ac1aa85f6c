#include "tensor/text_file.h"

#include <filesystem>
#include <fstream>

#include "tensor/error.h"

namespace uniad {

void write_text_file_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    UNIAD_CHECK(out.good(), tmp, ": cannot create");
    out << text;
    out.close();
    UNIAD_CHECK(out.good(), tmp, ": writing failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  UNIAD_CHECK(!ec, path, ": cannot move ", tmp, " into place (", ec.message(), ")");
}

}  // namespace uniad

#pragma once
// Writing small text files (JSON, Markdown, CSV) so that a reader never sees half of one: the
// text goes to PATH.tmp beside the target, which is renamed into place once complete.
#include <string>

namespace uniad {

// Throws naming the file when it cannot be written.
void write_text_file_atomically(const std::string& path, const std::string& text);

}  // namespace uniad

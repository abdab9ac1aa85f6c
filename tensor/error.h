#pragma once
// Errors thrown by every layer. Messages name the op and the shapes involved, e.g.
//   "matmul: inner dimensions differ: a [8, 3] vs b [4, 5]".
#include <sstream>
#include <stdexcept>
#include <string>

namespace uniad {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace detail {
inline void append(std::ostringstream&) {}
template <typename T, typename... Rest>
void append(std::ostringstream& out, const T& first, const Rest&... rest) {
  out << first;
  append(out, rest...);
}
}  // namespace detail

// Concatenates its arguments with operator<< into one message.
template <typename... Parts>
std::string cat(const Parts&... parts) {
  std::ostringstream out;
  detail::append(out, parts...);
  return out.str();
}

}  // namespace uniad

// UNIAD_CHECK(cond, "op: ", what, ...) throws uniad::Error with the concatenated message.
#define UNIAD_CHECK(cond, ...)                              \
  do {                                                      \
    if (!(cond)) throw ::uniad::Error(::uniad::cat(__VA_ARGS__)); \
  } while (0)

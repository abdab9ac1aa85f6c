#pragma once
// Resident memory of this process, read from /proc/self/status (Linux), for peak-memory
// comparisons that treat our program and PyTorch alike: both are measured as the growth of the
// resident set's high-water mark over the resident set just before the measured work.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

namespace uniad::bench {

// A field of /proc/self/status in bytes ("VmRSS", "VmHWM"); -1 where unavailable.
inline int64_t proc_status_bytes(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1)) * 1024;  // "kB"
  return -1;
}

// Resets the high-water mark to the current resident set; false where the kernel refuses.
inline bool reset_peak_rss() {
  std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (!f) return false;
  const bool ok = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && ok;
}

}  // namespace uniad::bench

#pragma once
// Small helpers shared by the benchmarks: arguments, medians, and running the PyTorch side.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace uniad::bench {

// True when --help was given; prints `usage` then.
inline bool wants_help(int argc, char** argv, const char* usage) {
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--help") {
      std::puts(usage);
      return true;
    }
  return false;
}

// The integer after `flag`, or `fallback`.
inline int arg_int(int argc, char** argv, const std::string& flag, int fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == flag) return std::atoi(argv[i + 1]);
  return fallback;
}

// The text after `flag`, or `fallback`.
inline std::string arg_str(int argc, char** argv, const std::string& flag, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == flag) return argv[i + 1];
  return fallback;
}

inline bool has_arg(int argc, char** argv, const std::string& flag) {
  for (int i = 1; i < argc; ++i)
    if (argv[i] == flag) return true;
  return false;
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Median wall time of `repeats` calls of fn, after one warm-up call (first-touch allocations,
// thread start).
template <typename Fn>
double median_seconds(Fn&& fn, int repeats) {
  fn();
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return median(t);
}

// Runs bench/<script> with Debian's python3 (which has python3-torch), or the interpreter named by
// $UNIAD_PYTHON (a GPU machine's CUDA torch), at `threads` threads, `input` on stdin when not
// empty, and parses its "name seconds" lines.
inline std::map<std::string, double> run_torch_script(const std::string& script, int threads,
                                                      const std::string& args, const std::string& input_file = "") {
  const std::string t = std::to_string(threads);
  const char* python = std::getenv("UNIAD_PYTHON");
  // PASSIVE: OpenMP threads that spin after a parallel region steal the cores OpenBLAS's own
  // threads need; with spinning, Debian's PyTorch runs the training step 2x slower at 2 threads.
  std::string cmd = "OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=" + t + " OMP_NUM_THREADS=" + t + " " +
                    (python && *python ? python : "/usr/bin/python3") +
                    " " UNIAD_SOURCE_DIR "/bench/" + script + " --threads " + t + " " + args;
  if (!input_file.empty()) cmd += " < " + input_file;
  std::map<std::string, double> out;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return out;
  char name[256];
  double seconds;
  while (std::fscanf(pipe, "%255s %lf", name, &seconds) == 2) out[name] = seconds;
  pclose(pipe);
  return out;
}

}  // namespace uniad::bench

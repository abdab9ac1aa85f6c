#include "autograd/profile.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>

#include <omp.h>

namespace uniad::ag {

namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct ProfileState {
  std::mutex mutex;
  std::string phase = "forward";
  int64_t mark_ns = 0;
  std::map<std::pair<std::string, std::string>, OpProfileRow> rows;
};

std::atomic<bool> g_enabled{false};
ProfileState& state() {
  static ProfileState s;
  return s;
}

void charge_locked(ProfileState& s, const std::string& phase, const char* op, double seconds) {
  OpProfileRow& row = s.rows[{phase, op}];
  row.phase = phase;
  row.op = op;
  row.calls += 1;
  row.seconds += seconds;
}

}  // namespace

namespace profiler {

void start() {
  ProfileState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.rows.clear();
  s.phase = "forward";
  s.mark_ns = now_ns();
  g_enabled.store(true, std::memory_order_relaxed);
}

std::vector<OpProfileRow> stop() {
  g_enabled.store(false, std::memory_order_relaxed);
  ProfileState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  std::vector<OpProfileRow> out;
  for (auto& [key, row] : s.rows) out.push_back(row);
  std::sort(out.begin(), out.end(), [](const OpProfileRow& a, const OpProfileRow& b) { return a.seconds > b.seconds; });
  return out;
}

bool enabled() { return g_enabled.load(std::memory_order_relaxed); }

void set_phase(const char* phase) {
  if (!enabled()) return;
  ProfileState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.phase = phase;
  s.mark_ns = now_ns();
}

void mark() {
  if (!enabled()) return;
  ProfileState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.mark_ns = now_ns();
}

void charge_since_mark(const char* op) {
  if (!enabled() || omp_in_parallel()) return;  // ops run by worker threads belong to the caller's op
  ProfileState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  const int64_t t = now_ns();
  charge_locked(s, s.phase, op, (t - s.mark_ns) * 1e-9);
  s.mark_ns = t;
}

void charge(const char* op, double seconds) {
  if (!enabled() || omp_in_parallel()) return;
  ProfileState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  charge_locked(s, s.phase, op, seconds);
}

}  // namespace profiler

ProfileScope::ProfileScope(const char* phase, const char* op) : op_(op) {
  if (!profiler::enabled()) return;
  {
    ProfileState& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    previous_phase_ = s.phase;
    s.phase = phase;
  }
  start_ns_ = now_ns();
}

ProfileScope::~ProfileScope() {
  if (!profiler::enabled() || start_ns_ == 0) return;
  ProfileState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  const int64_t t = now_ns();
  charge_locked(s, s.phase, op_, (t - start_ns_) * 1e-9);
  s.phase = previous_phase_;
  s.mark_ns = t;
}

}  // namespace uniad::ag

#pragma once
// A per-op profile of forward, backward and optimiser time, for `uniad bench --profile`.
//
// Forward: every differentiable op ends in make_result(), which charges the time since the
// previous mark to that op's name, so an op's forward time includes any glue code between it
// and the op before (cheap here: the model's forward is a chain of ops). Backward: the engine
// times each node's closure plus the gradient accumulation it triggers. Other phases (clipping,
// the optimiser step) are timed by the caller with ProfileScope. Only the calling thread is
// timed; OpenMP work inside an op counts as that op's wall time. Off by default: when disabled,
// each op pays one relaxed atomic load.
#include <cstdint>
#include <string>
#include <vector>

namespace uniad::ag {

struct OpProfileRow {
  std::string phase;  // "forward", "backward", or a caller's phase ("optimizer")
  std::string op;     // the op's name as in make_result ("matmul", "softmax", ...)
  int64_t calls = 0;
  double seconds = 0;
};

namespace profiler {
void start();                       // clears the table and starts timing
std::vector<OpProfileRow> stop();   // stops; rows sorted by seconds, largest first
bool enabled();
void set_phase(const char* phase);  // also restarts the forward gap clock
void mark();                        // restarts the gap clock without charging anyone
void charge_since_mark(const char* op);           // forward ops (make_result)
void charge(const char* op, double seconds);      // explicit charges (backward nodes, scopes)
}  // namespace profiler

// Times its own lifetime and charges it to (phase, op); the phase is restored afterwards.
class ProfileScope {
 public:
  ProfileScope(const char* phase, const char* op);
  ~ProfileScope();
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;

 private:
  const char* op_;
  std::string previous_phase_;
  int64_t start_ns_ = 0;
};

}  // namespace uniad::ag

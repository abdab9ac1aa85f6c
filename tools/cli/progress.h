#pragma once
// A progress bar for long work (feature extraction, data preparation), drawn on stderr.
//
// Library code knows nothing of terminals: it reports progress through a plain callback,
// std::function<void(int64_t done, int64_t total)> (see data/feature_cache.h); the CLI turns
// that into a ProgressBar with callback(). Two ways of drawing:
//   terminal: one line redrawn in place with '\r', at most ten times a second
//     features  [#########...............]   1234/5000  24.7%  56.3 img/s  0:21 elapsed  ETA 1:07
//   lines (stderr is a file or a pipe: logs, CI): the same text as a plain line each time another
//     10% is done, and at least once a minute, so a log shows progress without 10,000 lines.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

namespace uniad::cli {

// "0:07", "12:34", "1:02:03"; "?" for negative or non-finite seconds.
std::string format_duration(double seconds);

// The text of one progress report. total <= 0 means unknown (no bar, percentage or ETA).
// `rate` is units per second (0 when not yet known).
std::string format_progress(const std::string& label, int64_t done, int64_t total, double rate,
                            double elapsed_s, const std::string& unit, int bar_width);

class ProgressBar {
 public:
  enum class Mode { Auto, Terminal, Lines };  // Auto: Terminal when `out` is a terminal
  explicit ProgressBar(std::string label, std::string unit = "items", Mode mode = Mode::Auto,
                       std::FILE* out = stderr);
  ~ProgressBar();  // ends a half-drawn terminal line so that later messages start on their own line

  // Reports progress, measuring time with the steady clock from construction.
  void update(int64_t done, int64_t total);
  // The same with an explicit time since construction (tests).
  void update_at(int64_t done, int64_t total, double elapsed_s);
  // Draws the final state and ends the line. Idempotent.
  void finish();
  // Extra text drawn after the ETA, e.g. "loss 0.0123  lr 5.0e-04" (training).
  void set_detail(std::string detail) { detail_ = std::move(detail); }
  // A callback for library code that forwards to update().
  std::function<void(int64_t, int64_t)> callback();

  bool terminal() const { return terminal_; }

 private:
  void draw(double elapsed_s);

  std::string label_, unit_, detail_;
  std::FILE* out_;
  bool terminal_;
  double start_;                 // steady-clock seconds at construction
  int64_t done_ = 0, total_ = 0;
  int64_t first_done_ = -1;      // done at the first report: a resumed job's rate counts only new work
  double first_time_ = 0;
  double last_draw_ = -1e9;      // time of the last redraw or line
  int last_decile_ = -1;         // lines mode: the last 10% step printed
  int64_t drawn_done_ = -1;      // done as last drawn
  bool line_open_ = false;       // terminal mode: a line is drawn without its newline
  bool finished_ = false;
};

}  // namespace uniad::cli

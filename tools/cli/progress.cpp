#include "tools/cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace uniad::cli {

namespace {

constexpr double kRedrawSeconds = 0.1;     // terminal: at most ten redraws a second
constexpr double kQuietLineSeconds = 60;   // lines: at least one line a minute

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  char buf[64];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", (long long)(s / 3600), (long long)(s / 60 % 60),
                  (long long)(s % 60));
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", (long long)(s / 60), (long long)(s % 60));
  return buf;
}

std::string format_progress(const std::string& label, int64_t done, int64_t total, double rate, double elapsed_s,
                            const std::string& unit, int bar_width) {
  std::string s = label;
  const bool known = total > 0;
  const double fraction = known ? std::clamp(double(done) / double(total), 0.0, 1.0) : 0.0;
  if (known && bar_width > 0) {
    const int filled = static_cast<int>(fraction * bar_width);
    s += "  [" + std::string(filled, '#') + std::string(bar_width - filled, '.') + "]";
  }
  const std::string total_text = known ? std::to_string(total) : "?";
  const std::string done_text = std::to_string(done);
  // Right-align done under total so that the line does not jitter as digits appear.
  s += "  " + std::string(done_text.size() < total_text.size() ? total_text.size() - done_text.size() : 0, ' ') +
       done_text + "/" + total_text;
  if (known) s += "  " + fixed(100.0 * fraction, 1) + "%";
  s += "  " + (rate > 0 ? fixed(rate, rate < 10 ? 2 : 1) : std::string("?")) + " " + unit + "/s";
  s += "  " + format_duration(elapsed_s) + " elapsed";
  if (known && done < total) s += "  ETA " + (rate > 0 ? format_duration(double(total - done) / rate) : "?");
  return s;
}

ProgressBar::ProgressBar(std::string label, std::string unit, Mode mode, std::FILE* out)
    : label_(std::move(label)), unit_(std::move(unit)), out_(out), start_(now_seconds()) {
  terminal_ = mode == Mode::Terminal || (mode == Mode::Auto && ::isatty(::fileno(out_)));
}

ProgressBar::~ProgressBar() {
  if (line_open_) {
    std::fputc('\n', out_);
    std::fflush(out_);
  }
}

void ProgressBar::update(int64_t done, int64_t total) { update_at(done, total, now_seconds() - start_); }

void ProgressBar::update_at(int64_t done, int64_t total, double elapsed_s) {
  if (finished_) return;
  if (first_done_ < 0) {
    first_done_ = done;
    first_time_ = elapsed_s;
  }
  done_ = done;
  total_ = total;
  const bool complete = total > 0 && done >= total;
  if (terminal_) {
    if (complete || elapsed_s - last_draw_ >= kRedrawSeconds) draw(elapsed_s);
    return;
  }
  const int decile = total > 0 ? static_cast<int>(10 * std::min(done, total) / total) : -1;
  if (decile != last_decile_ || elapsed_s - last_draw_ >= kQuietLineSeconds) {
    last_decile_ = decile;
    draw(elapsed_s);
  }
}

void ProgressBar::finish() {
  if (finished_) return;
  const double elapsed = now_seconds() - start_;
  // The last update drew the completed state already (both modes draw it when it arrives).
  const bool printed_final = total_ > 0 && done_ >= total_ && drawn_done_ == done_;
  if (!printed_final) draw(std::max(elapsed, last_draw_));
  if (line_open_) std::fputc('\n', out_);
  line_open_ = false;
  finished_ = true;
  std::fflush(out_);
}

std::function<void(int64_t, int64_t)> ProgressBar::callback() {
  return [this](int64_t done, int64_t total) { update(done, total); };
}

void ProgressBar::draw(double elapsed_s) {
  const double span = elapsed_s - first_time_;
  const double rate = span > 0 ? double(done_ - std::max<int64_t>(first_done_, 0)) / span : 0.0;
  std::string text = format_progress(label_, done_, total_, rate, elapsed_s, unit_, terminal_ ? 24 : 0);
  if (!detail_.empty()) text += "  " + detail_;
  if (terminal_) {
    // "\r" returns to the start of the line; "\033[K" clears what a longer previous line left.
    std::fprintf(out_, "\r%s\033[K", text.c_str());
    line_open_ = true;
  } else {
    std::fprintf(out_, "%s\n", text.c_str());
  }
  last_draw_ = elapsed_s;
  drawn_done_ = done_;
  std::fflush(out_);
}

}  // namespace uniad::cli

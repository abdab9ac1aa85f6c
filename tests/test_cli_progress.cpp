// The CLI's progress bar: the text of one report, redraw throttling on a terminal, and one line
// per 10% when stderr is a log. The bar belongs to the `uniad` executable, which the test binary
// does not link, so its one source file is compiled in here.
#include "tools/cli/progress.cpp"  // NOLINT(bugprone-suspicious-include)

#include <cstdio>

#include "test_util.h"

using namespace uniad::cli;
using uniad::test::contains;

namespace {

// Everything written to a temporary FILE*.
std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  for (int c; (c = std::fgetc(f)) != EOF;) s.push_back(static_cast<char>(c));
  return s;
}

int count(const std::string& s, const std::string& part) {
  int n = 0;
  for (size_t at = s.find(part); at != std::string::npos; at = s.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("progress: durations and the text of one report") {
  CHECK(format_duration(0) == "0:00");
  CHECK(format_duration(7.4) == "0:07");
  CHECK(format_duration(754) == "12:34");
  CHECK(format_duration(3723) == "1:02:03");
  CHECK(format_duration(-1) == "?");

  const std::string s = format_progress("features", 1234, 5000, 56.25, 21, "img", 10);
  MESSAGE(s);
  CHECK(s == "features  [##........]  1234/5000  24.7%  56.2 img/s  0:21 elapsed  ETA 1:07");
  CHECK(format_progress("x", 5, 5, 2.5, 2, "it", 4) == "x  [####]  5/5  100.0%  2.50 it/s  0:02 elapsed");
  CHECK(format_progress("x", 3, 0, 0, 1, "it", 4) == "x  3/?  ? it/s  0:01 elapsed");
  CHECK(format_progress("x", 0, 100, 0, 0, "it", 0) == "x    0/100  0.0%  ? it/s  0:00 elapsed  ETA ?");
}

TEST_CASE("progress: lines mode prints each 10% once, and terminal mode redraws at most 10 times a second") {
  std::FILE* log = std::tmpfile();
  REQUIRE(log != nullptr);
  {
    ProgressBar bar("features", "img", ProgressBar::Mode::Lines, log);
    CHECK_FALSE(bar.terminal());
    for (int done = 0; done <= 1000; ++done) bar.update_at(done, 1000, done * 0.01);
    bar.finish();
  }
  const std::string lines = contents(log);
  MESSAGE(lines);
  CHECK(count(lines, "\n") == 11);  // 0%, 10%, ..., 100%
  CHECK(count(lines, "\r") == 0);
  CHECK(contains(lines, "1000/1000  100.0%  100.0 img/s  0:10 elapsed\n"));
  CHECK(contains(lines, " 500/1000  50.0%  100.0 img/s  0:05 elapsed  ETA 0:05\n"));
  std::fclose(log);

  std::FILE* tty = std::tmpfile();
  {
    ProgressBar bar("features", "img", ProgressBar::Mode::Terminal, tty);
    // A resumed job: the first report is 400 done; the rate counts only what this run did.
    for (int done = 400; done <= 1000; ++done) bar.update_at(done, 1000, (done - 400) * 0.001);  // 0.6 s
    bar.finish();
  }
  const std::string drawn = contents(tty);
  CHECK(count(drawn, "\r") <= 8);  // 0.6 s: about 7 redraws, plus the final one
  CHECK(count(drawn, "\r") >= 6);
  CHECK(count(drawn, "\n") == 1);
  CHECK(contains(drawn, "1000/1000  100.0%  1000.0 img/s"));
  std::fclose(tty);

  std::FILE* cut = std::tmpfile();
  {  // Destroyed mid-line (an error): the line is ended so that the message starts on its own.
    ProgressBar bar("x", "it", ProgressBar::Mode::Terminal, cut);
    bar.update_at(1, 10, 0.5);
  }
  const std::string ended = contents(cut);
  CHECK(ended.back() == '\n');
  std::fclose(cut);
}

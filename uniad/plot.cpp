// Line and grouped bar charts as PNG through PLplot's cairo driver ("pngcairo").
//
// PLplot keeps one global state (current stream, colour maps, viewport), so every plot holds a
// mutex from plinit to plend and nothing else in the process may use PLplot meanwhile. A plot
// always ends with plend (also when an exception leaves the drawing code), which frees the
// stream and leaves PLplot ready for the next plinit: many plots per process work.
//
// PLplot's own error path (plexit) prints and terminates the process, so everything that could
// fail is checked before plinit: the data (finite, matching lengths) and the output file (the
// temporary file is created here first, PLplot only reopens it).
#include "uniad/plot.h"

#include <plplot.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "tensor/error.h"

// Under LeakSanitizer (UNIAD_SANITIZE builds): fontconfig keeps its font cache for the life of
// the process and libltdl keeps each driver load's handle, both by design, and LSan would fail
// every program that drew a plot. Only allocations made inside those two libraries are ignored.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libfontconfig.so\nleak:libltdl.so\n";
}

namespace uniad {
namespace {

// Colour map 0 indices.
constexpr int kForegroundColour = 1, kGridColour = 2, kFirstSeriesColour = 3, kPaletteSize = 10;
// Text sizes relative to PLplot's default: a little larger, since the PNGs are viewed scaled down.
constexpr double kTextScale = 1.15, kTitleTextScale = 1.35, kCategoryTextScale = 1.0;

std::mutex& plplot_mutex() {
  static std::mutex m;
  return m;
}

struct Rgb {
  int r, g, b;
};

// Colour map 0: background, foreground, grid, then a series palette (matplotlib's tab10, which
// stays distinguishable for most colour-blind readers) and the same palette lightened.
constexpr Rgb kBackground{255, 255, 255}, kForeground{0, 0, 0}, kGrid{215, 215, 215};
constexpr Rgb kPalette[kPaletteSize] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},
                                        {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {127, 127, 127},
                                        {188, 189, 34},  {23, 190, 207}};

Rgb lighten(Rgb c, double amount) {
  auto mix = [&](int v) { return static_cast<int>(std::lround(v + (255 - v) * amount)); };
  return {mix(c.r), mix(c.g), mix(c.b)};
}

void set_colour_map() {
  std::vector<PLINT> r, g, b;
  auto push = [&](Rgb c) {
    r.push_back(c.r);
    g.push_back(c.g);
    b.push_back(c.b);
  };
  push(kBackground);
  push(kForeground);
  push(kGrid);
  for (const Rgb& c : kPalette) push(c);
  for (const Rgb& c : kPalette) push(lighten(c, 0.6));
  plscmap0(r.data(), g.data(), b.data(), static_cast<PLINT>(r.size()));
}

int series_colour(size_t i, bool light) {
  return kFirstSeriesColour + static_cast<int>(i % kPaletteSize) + (light ? kPaletteSize : 0);
}

std::string plplot_text(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == '#') out += '#';  // '#' starts PLplot's escape sequences; "##" is a literal '#'
  }
  return out;
}

// One PNG page on the pngcairo device, drawn into a temporary file beside `path`. Holds the
// PLplot mutex for its whole life; the destructor ends the stream and removes the temporary file
// unless finish() renamed it into place.
class PlotPage {
 public:
  PlotPage(const std::string& path, int width, int height, const char* what);
  ~PlotPage();
  PlotPage(const PlotPage&) = delete;
  PlotPage& operator=(const PlotPage&) = delete;
  void finish();

 private:
  std::lock_guard<std::mutex> lock_;
  std::string path_, temp_, what_;
  bool open_ = false;
};

struct Range {
  double lo, hi;
};

PlotPage::PlotPage(const std::string& path, int width, int height, const char* what)
    : lock_(plplot_mutex()), path_(path), what_(what) {
  UNIAD_CHECK(width >= 64 && height >= 64 && width <= 16384 && height <= 16384, what_, ": ", path_, ": size ", width,
              " x ", height, " pixels outside [64, 16384]");
  // Same directory as the target, so that the rename is atomic (no cross-device move).
  temp_ = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream probe(temp_, std::ios::binary | std::ios::trunc);
    UNIAD_CHECK(probe.good(), what_, ": ", path_, ": cannot create ", temp_, " (", std::strerror(errno), ")");
  }
  plsdev("pngcairo");
  plsfnam(temp_.c_str());
  plspage(0, 0, width, height, 0, 0);
  set_colour_map();
  plinit();
  open_ = true;
  pladv(0);
  plschr(0, kTextScale);
  plwidth(1.0);
}

PlotPage::~PlotPage() {
  if (!open_) return;
  plend();
  std::error_code ignored;
  std::filesystem::remove(temp_, ignored);
}

void PlotPage::finish() {
  plend();  // the cairo driver writes the PNG here
  open_ = false;
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(temp_, ec);
  if (ec || bytes == 0) {
    std::filesystem::remove(temp_, ec);
    UNIAD_CHECK(false, what_, ": ", path_, ": PLplot wrote no image to ", temp_);
  }
  std::filesystem::rename(temp_, path_, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(temp_, ignored);
    UNIAD_CHECK(false, what_, ": ", path_, ": rename from ", temp_, " failed (", ec.message(), ")");
  }
}

Range padded(double lo, double hi, double pad_fraction) {
  if (!(hi > lo)) {  // one value: open a window around it
    const double half = lo == 0 ? 0.5 : std::abs(lo) * 0.1;
    return {lo - half, hi + half};
  }
  const double pad = (hi - lo) * pad_fraction;
  return {lo - pad, hi + pad};
}

// ---- line plots ----

// The points of one series that can be drawn (finite, and positive on a log axis), y already
// transformed; runs of drawable points become polylines, a gap in the data breaks the line.
struct Polyline {
  std::vector<double> x, y;
};

std::vector<Polyline> drawable_runs(const LineSeries& s, bool log_y) {
  std::vector<Polyline> runs(1);
  for (size_t i = 0; i < s.x.size(); ++i) {
    const double y = log_y ? std::log10(s.y[i]) : s.y[i];
    if (!std::isfinite(s.x[i]) || !std::isfinite(y)) {
      if (!runs.back().x.empty()) runs.emplace_back();
      continue;
    }
    runs.back().x.push_back(s.x[i]);
    runs.back().y.push_back(y);
  }
  if (runs.back().x.empty()) runs.pop_back();
  return runs;
}

// The inside corner where the legend covers the fewest data points (sampled along the lines),
// given the legend's size as a fraction of the viewport.
PLINT quietest_corner(const std::vector<std::vector<Polyline>>& all, Range xr, Range yr, double legend_w,
                      double legend_h) {
  const PLINT corners[4] = {PL_POSITION_TOP | PL_POSITION_RIGHT, PL_POSITION_TOP | PL_POSITION_LEFT,
                            PL_POSITION_BOTTOM | PL_POSITION_RIGHT, PL_POSITION_BOTTOM | PL_POSITION_LEFT};
  int hits[4] = {0, 0, 0, 0};
  auto count = [&](double x, double y) {
    const double u = (x - xr.lo) / (xr.hi - xr.lo), v = (y - yr.lo) / (yr.hi - yr.lo);
    const bool right = u > 1 - legend_w, left = u < legend_w, top = v > 1 - legend_h, bottom = v < legend_h;
    hits[0] += top && right;
    hits[1] += top && left;
    hits[2] += bottom && right;
    hits[3] += bottom && left;
  };
  for (const auto& runs : all)
    for (const Polyline& p : runs)
      for (size_t i = 0; i < p.x.size(); ++i) {
        count(p.x[i], p.y[i]);
        if (i + 1 < p.x.size())
          for (int k = 1; k < 8; ++k)
            count(p.x[i] + (p.x[i + 1] - p.x[i]) * k / 8.0, p.y[i] + (p.y[i + 1] - p.y[i]) * k / 8.0);
      }
  return corners[std::min_element(hits, hits + 4) - hits];
}

void draw_legend(const std::vector<std::string>& labels, const std::vector<PLINT>& colours, bool boxes,
                 PLINT position, PLINT rows, PLINT columns, double x_offset, double y_offset) {
  const size_t n = labels.size();
  std::vector<std::string> texts;
  for (const std::string& l : labels) texts.push_back(plplot_text(l));
  std::vector<const char*> text_ptrs;
  for (const std::string& t : texts) text_ptrs.push_back(t.c_str());
  std::vector<PLINT> opts(n, boxes ? PL_LEGEND_COLOR_BOX : PL_LEGEND_LINE), text_colours(n, kForegroundColour);
  std::vector<PLINT> patterns(n, 0), styles(n, 1);
  std::vector<PLFLT> scales(n, 0.8), widths(n, 2.5);
  PLFLT width = 0, height = 0;
  pllegend(&width, &height, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX | (rows == 1 ? PL_LEGEND_ROW_MAJOR : 0),
           position, x_offset, y_offset, 0.06, 0 /* white */, kGridColour, 1, rows, columns, static_cast<PLINT>(n),
           opts.data(), 1.0, 0.9, 2.0, 0.0, text_colours.data(), text_ptrs.data(), colours.data(), patterns.data(),
           scales.data(), widths.data(), colours.data(), styles.data(), widths.data(), nullptr, nullptr, nullptr,
           nullptr);
}

// Size of the current viewport and of one character, in millimetres of the page.
void viewport_mm(double& width, double& height, double& char_height) {
  PLFLT sx0, sx1, sy0, sy1, vx0, vx1, vy0, vy1, def, ht;
  plgspa(&sx0, &sx1, &sy0, &sy1);
  plgvpd(&vx0, &vx1, &vy0, &vy1);
  plgchr(&def, &ht);
  width = (vx1 - vx0) * (sx1 - sx0);
  height = (vy1 - vy0) * (sy1 - sy0);
  char_height = ht;
}

void draw_title(const std::string& title, double offset) {
  plcol0(kForegroundColour);
  plschr(0, kTitleTextScale);
  plmtex("t", offset, 0.5, 0.5, plplot_text(title).c_str());
  plschr(0, kTextScale);
}

// The grid first, in grey, then the frame, ticks and numbers in black on top of it.
void draw_axes(const char* x_opts, const char* y_opts, bool x_grid = true) {
  plcol0(kGridColour);
  plwidth(1.0);
  plbox(x_grid ? "g" : "", 0, 0, std::strchr(y_opts, 'l') ? "gl" : "g", 0, 0);
  plcol0(kForegroundColour);
  plbox(x_opts, 0, 0, y_opts, 0, 0);
}

}  // namespace

void write_line_plot(const std::string& path, const LinePlot& plot, int width, int height) {
  // Validate and collect everything before PLplot starts: its errors end the process.
  std::vector<std::vector<Polyline>> runs;
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (const LineSeries& s : plot.series) {
    UNIAD_CHECK(s.x.size() == s.y.size(), "write_line_plot: ", path, ": series '", s.label, "' has ", s.x.size(),
                " x values and ", s.y.size(), " y values");
    runs.push_back(drawable_runs(s, plot.log_y));
    for (const Polyline& p : runs.back())
      for (size_t i = 0; i < p.x.size(); ++i) {
        x0 = std::min(x0, p.x[i]), x1 = std::max(x1, p.x[i]);
        y0 = std::min(y0, p.y[i]), y1 = std::max(y1, p.y[i]);
      }
  }
  UNIAD_CHECK(std::isfinite(x0), "write_line_plot: ", path, ": no data to draw (", plot.series.size(), " series, ",
              "no finite", plot.log_y ? ", positive" : "", " points)");
  const Range xr = padded(x0, x1, 0.0), yr = padded(y0, y1, 0.05);

  PlotPage page(path, width, height, "write_line_plot");
  plvpor(0.12, 0.97, 0.12, 0.87);  // room on the left for a "(x10^-3)" scale label
  plwind(xr.lo, xr.hi, yr.lo, yr.hi);
  draw_axes("bcnst", plot.log_y ? "bcnstvl" : "bcnstv");
  // Light series first, so that averages and validation curves stay on top.
  std::vector<std::string> labels;
  std::vector<PLINT> colours;
  for (int pass = 0; pass < 2; ++pass)
    for (size_t i = 0; i < plot.series.size(); ++i) {
      const LineSeries& s = plot.series[i];
      if (s.light != (pass == 0)) continue;
      plcol0(series_colour(i, s.light));
      plwidth(s.light ? 1.0 : 2.5);
      for (const Polyline& p : runs[i]) {
        if (p.x.size() == 1) plpoin(1, p.x.data(), p.y.data(), 17);  // an isolated point: a dot
        else plline(static_cast<PLINT>(p.x.size()), p.x.data(), p.y.data());
      }
    }
  for (size_t i = 0; i < plot.series.size(); ++i) {
    labels.push_back(plot.series[i].label);
    colours.push_back(series_colour(i, plot.series[i].light));
  }
  plwidth(1.0);
  plcol0(kForegroundColour);
  plmtex("b", 3.0, 0.5, 0.5, plplot_text(plot.x_label).c_str());
  plmtex("l", plot.log_y ? 4.0 : 5.0, 0.5, 0.5, plplot_text(plot.y_label).c_str());
  draw_title(plot.title, 1.5);
  if (labels.size() > 1 || (labels.size() == 1 && !labels[0].empty())) {
    double vp_w, vp_h, ch;
    viewport_mm(vp_w, vp_h, ch);
    size_t longest = 0;
    for (const std::string& l : labels) longest = std::max(longest, l.size());
    const double legend_w = (0.06 * vp_w + (3 + 0.75 * longest) * ch) / vp_w + 0.03;
    const double legend_h = (2.0 * labels.size() + 1) * ch / vp_h + 0.03;
    const PLINT corner = quietest_corner(runs, xr, yr, legend_w, legend_h);
    draw_legend(labels, colours, false, PL_POSITION_INSIDE | corner, static_cast<PLINT>(labels.size()), 1, 0.02,
                0.03);
  }
  page.finish();
}

// ---- grouped bar plots ----

void write_bar_plot(const std::string& path, const BarPlot& plot, int width, int height) {
  const size_t n = plot.categories.size(), m = plot.series.size();
  UNIAD_CHECK(n > 0 && m > 0, "write_bar_plot: ", path, ": no data to draw (", n, " categories, ", m, " series)");
  UNIAD_CHECK(plot.y_max > plot.y_min, "write_bar_plot: ", path, ": empty y range [", plot.y_min, ", ", plot.y_max,
              "]");
  bool any_bar = false;
  for (const BarSeries& s : plot.series) {
    UNIAD_CHECK(s.values.size() == n, "write_bar_plot: ", path, ": series '", s.label, "' has ", s.values.size(),
                " values for ", n, " categories");
    for (double v : s.values) any_bar = any_bar || std::isfinite(v);
  }
  UNIAD_CHECK(any_bar, "write_bar_plot: ", path, ": no finite value in ", m, " series");

  PlotPage page(path, width, height, "write_bar_plot");
  // Long category names are written vertically below the axis and need a deeper bottom margin.
  PLFLT sx0, sx1, sy0, sy1, def, ht;
  plgspa(&sx0, &sx1, &sy0, &sy1);
  plschr(0, kCategoryTextScale);
  plgchr(&def, &ht);
  size_t longest = 0;
  for (const std::string& c : plot.categories) longest = std::max(longest, c.size());
  plschr(0, kTextScale);
  // PLplot's text-length query is private: estimate a character of the sans font as 0.8 heights.
  const double longest_mm = 0.8 * ht * static_cast<double>(longest);
  const double page_h = sy1 - sy0, slot_mm = 0.9 * (sx1 - sx0) / static_cast<double>(n);
  const bool vertical = longest_mm > 0.9 * slot_mm;
  const double bottom = std::min(0.5, ((vertical ? longest_mm : ht) + 2.5 * ht) / page_h);
  const double top = 1 - 7.0 * ht / page_h;  // title and a one-row legend above the frame
  plvpor(0.08, 0.98, bottom, top);
  plwind(0, static_cast<double>(n), plot.y_min, plot.y_max);
  draw_axes("bc", "bcnstv", false);

  const double group = 0.8, bar = group / static_cast<double>(m);
  for (size_t j = 0; j < m; ++j) {
    plcol0(series_colour(j, false));
    for (size_t i = 0; i < n; ++i) {
      const double v = plot.series[j].values[i];
      if (!std::isfinite(v)) continue;
      const double left = static_cast<double>(i) + (1 - group) / 2 + bar * static_cast<double>(j);
      const double y = std::clamp(v, plot.y_min, plot.y_max);
      PLFLT xs[4] = {left, left + bar, left + bar, left}, ys[4] = {plot.y_min, plot.y_min, y, y};
      plfill(4, xs, ys);
    }
  }
  plcol0(kForegroundColour);
  plbox("bc", 0, 0, "", 0, 0);  // the frame again, over the bars' feet
  plschr(0, kCategoryTextScale);
  for (size_t i = 0; i < n; ++i) {
    const double centre = (static_cast<double>(i) + 0.5) / static_cast<double>(n);
    if (vertical) plmtex("bv", 0.7, centre, 1.0, plplot_text(plot.categories[i]).c_str());
    else plmtex("b", 1.5, centre, 0.5, plplot_text(plot.categories[i]).c_str());
  }
  plschr(0, kTextScale);
  plmtex("l", 4.0, 0.5, 0.5, plplot_text(plot.y_label).c_str());
  draw_title(plot.title, 3.6);
  std::vector<std::string> labels;
  std::vector<PLINT> colours;
  for (size_t j = 0; j < m; ++j) {
    labels.push_back(plot.series[j].label);
    colours.push_back(series_colour(j, false));
  }
  draw_legend(labels, colours, true, PL_POSITION_OUTSIDE | PL_POSITION_TOP, 1, static_cast<PLINT>(m), 0.0, 0.01);
  page.finish();
}

}  // namespace uniad

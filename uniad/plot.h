#pragma once
// Plots as PNG files, drawn with PLplot (Debian's libplplot-dev, cairo PNG driver): line charts
// of training curves and grouped bar charts of per-class metrics. Library code only; the report
// (uniad/report.h) and the experiments decide what to plot.
#include <string>
#include <vector>

namespace uniad {

struct LineSeries {
  std::string label;          // legend entry
  std::vector<double> x, y;   // equal lengths; non-finite points are skipped
  bool light = false;         // pale and thin, drawn first: a noisy raw curve behind its average
};

struct LinePlot {
  std::string title, x_label, y_label;
  std::vector<LineSeries> series;
  bool log_y = false;  // logarithmic y axis (positive values only)
};

struct BarSeries {
  std::string label;           // legend entry
  std::vector<double> values;  // one per category; NaN draws no bar
};

struct BarPlot {
  std::string title, y_label;
  std::vector<std::string> categories;  // x axis, labels drawn rotated when long
  std::vector<BarSeries> series;        // bars grouped per category
  double y_min = 0, y_max = 1;          // metrics live in [0, 1]; callers may zoom
};

// Write PNG files of width x height pixels. The file is written beside `path` and renamed into
// place. Errors (no data, unwritable path) throw uniad::Error naming the path.
void write_line_plot(const std::string& path, const LinePlot& plot, int width = 900, int height = 540);
void write_bar_plot(const std::string& path, const BarPlot& plot, int width = 1100, int height = 560);

}  // namespace uniad

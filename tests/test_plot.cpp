// PNG plots through PLplot: the files have the requested size, are not blank, data lands where
// the axes say, several plots work in one process, and bad input fails with the path named.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "data/image.h"
#include "test_util.h"
#include "uniad/plot.h"

namespace uniad {
namespace {

using test::TempDir;

struct Pixels {
  data::Image image;
  size_t distinct = 0, non_white = 0;
};

Pixels read_plot(const std::string& path) {
  Pixels p;
  p.image = data::to_rgb8(data::decode_image(path));
  std::set<uint32_t> colours;
  for (int y = 0; y < p.image.height; ++y)
    for (int x = 0; x < p.image.width; ++x) {
      const uint32_t rgb = (uint32_t(p.image.at(y, x, 0)) << 16) | (uint32_t(p.image.at(y, x, 1)) << 8) |
                           p.image.at(y, x, 2);
      colours.insert(rgb);
      p.non_white += rgb != 0xFFFFFF;
    }
  p.distinct = colours.size();
  MESSAGE(path, ": ", p.image.width, " x ", p.image.height, ", ", p.distinct, " colours, ", p.non_white,
          " non-white pixels");
  return p;
}

// Rows holding a pixel within `tol` of the colour (r, g, b).
std::vector<int> rows_with_colour(const data::Image& im, int r, int g, int b, int tol = 12) {
  std::vector<int> rows;
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x)
      if (std::abs(im.at(y, x, 0) - r) <= tol && std::abs(im.at(y, x, 1) - g) <= tol &&
          std::abs(im.at(y, x, 2) - b) <= tol) {
        rows.push_back(y);
        break;
      }
  return rows;
}

void check_no_temp_files(const TempDir& dir) {
  for (const auto& entry : std::filesystem::directory_iterator(dir.path))
    CHECK_MESSAGE(entry.path().string().find(".tmp") == std::string::npos, "left behind: ", entry.path().string());
}

LinePlot training_curves() {
  LinePlot plot{"loss", "epoch", "MSE", {}, true};
  LineSeries raw{"train loss (step)", {}, {}, true}, mean{"train loss (epoch mean)", {}, {}};
  for (int i = 0; i < 200; ++i) {
    raw.x.push_back(i / 20.0);
    raw.y.push_back(std::exp(-i / 60.0) * (1.2 + 0.3 * std::sin(i * 1.7)));
  }
  for (int e = 1; e <= 10; ++e) {
    mean.x.push_back(e);
    mean.y.push_back(std::exp(-e / 3.0) * 1.2);
  }
  plot.series = {raw, mean};
  return plot;
}

BarPlot per_class_bars() {
  BarPlot plot{"image AUROC per class", "AUROC", {"canvas", "paper_rough_background", "leather", "tile"}, {}, 0.5, 1};
  plot.series = {{"uniad", {0.97, 0.91, NAN, 0.88}}, {"nearest_neighbour", {0.93, 0.85, 0.75, 0.60}}};
  return plot;
}

TEST_CASE("write_line_plot draws a horizontal line at the height the axis gives it") {
  TempDir dir("plot_line");
  LinePlot plot{"a constant", "x", "y", {{"", {0, 1, 2, 3}, {0.5, 0.5, 0.5, 0.5}}}};
  const std::string path = dir / "line.png";
  write_line_plot(path, plot, 640, 400);
  const Pixels p = read_plot(path);
  CHECK(p.image.width == 640);
  CHECK(p.image.height == 400);
  CHECK(p.distinct >= 3);
  CHECK(p.non_white > 640 * 400 / 100);
  // The series is the palette's first colour (31, 119, 180). A constant y gets a symmetric
  // window, so the line sits in the middle of the viewport [0.12, 0.87] of the page height (plot.cpp).
  const std::vector<int> rows = rows_with_colour(p.image, 31, 119, 180);
  REQUIRE(!rows.empty());
  const double expected = 400 * (1 - (0.12 + 0.87) / 2);
  const double worst = std::max(std::abs(rows.front() - expected), std::abs(rows.back() - expected));
  MESSAGE("line rows ", rows.front(), "..", rows.back(), ", expected ", expected, ", max |diff| ", worst);
  CHECK(worst <= 4);
  check_no_temp_files(dir);
}

TEST_CASE("write_line_plot with a log axis skips non-positive and NaN points") {
  TempDir dir("plot_log");
  LinePlot plot = training_curves();
  plot.series[1].y[3] = 0;    // log10(0): skipped
  plot.series[1].y[5] = NAN;  // a gap in the line
  const std::string path = dir / "loss.png";
  write_line_plot(path, plot);
  const Pixels p = read_plot(path);
  CHECK(p.image.width == 900);
  CHECK(p.image.height == 540);
  CHECK(p.distinct >= 4);
  CHECK(!rows_with_colour(p.image, 255, 127, 14).empty());  // the second series (orange) is drawn
}

TEST_CASE("write_bar_plot draws both series at the requested size") {
  TempDir dir("plot_bar");
  const std::string path = dir / "bars.png";
  write_bar_plot(path, per_class_bars(), 800, 500);
  const Pixels p = read_plot(path);
  CHECK(p.image.width == 800);
  CHECK(p.image.height == 500);
  CHECK(p.distinct >= 4);
  const std::vector<int> blue = rows_with_colour(p.image, 31, 119, 180, 4);
  const std::vector<int> orange = rows_with_colour(p.image, 255, 127, 14, 4);
  REQUIRE(!blue.empty());
  REQUIRE(!orange.empty());
  // Both legend boxes span the same rows; below them, uniad's best bar (0.97) reaches higher
  // than nearest_neighbour's (0.93), so blue covers more rows.
  MESSAGE("rows with blue ", blue.size(), ", rows with orange ", orange.size());
  CHECK(blue.size() > orange.size());
  check_no_temp_files(dir);
}

TEST_CASE("many plots in one process all come out complete") {
  TempDir dir("plot_many");
  for (int round = 0; round < 3; ++round) {
    const std::string line = dir / ("line" + std::to_string(round) + ".png");
    const std::string bars = dir / ("bars" + std::to_string(round) + ".png");
    write_line_plot(line, training_curves(), 500 + round * 10, 300);
    write_bar_plot(bars, per_class_bars(), 600, 320 + round * 10);
    const Pixels a = read_plot(line), b = read_plot(bars);
    CHECK(a.image.width == 500 + round * 10);
    CHECK(b.image.height == 320 + round * 10);
    CHECK(a.distinct >= 4);
    CHECK(b.distinct >= 4);
  }
  // Overwriting an existing file replaces it.
  write_line_plot(dir / "line0.png", training_curves(), 300, 200);
  CHECK(read_plot(dir / "line0.png").image.width == 300);
  check_no_temp_files(dir);
}

TEST_CASE("plot errors name the path and leave the process able to plot") {
  TempDir dir("plot_errors");
  LinePlot empty{"nothing", "x", "y", {{"none", {1, 2}, {NAN, NAN}}}};
  std::string msg = test::error_of([&] { write_line_plot(dir / "empty.png", empty); });
  CHECK(test::contains(msg, "empty.png"));
  CHECK(test::contains(msg, "no data"));
  LinePlot uneven{"uneven", "x", "y", {{"short", {1, 2, 3}, {1, 2}}}};
  msg = test::error_of([&] { write_line_plot(dir / "uneven.png", uneven); });
  CHECK(test::contains(msg, "'short' has 3 x values and 2 y values"));
  BarPlot bars = per_class_bars();
  bars.series[1].values.pop_back();
  msg = test::error_of([&] { write_bar_plot(dir / "bars.png", bars); });
  CHECK(test::contains(msg, "'nearest_neighbour' has 3 values for 4 categories"));
  msg = test::error_of([&] { write_bar_plot(dir / "no_such_dir/bars.png", per_class_bars()); });
  CHECK(test::contains(msg, "no_such_dir/bars.png"));
  CHECK(test::contains(msg, "cannot create"));
  // PLplot was never left half-initialised: the next plot works.
  write_bar_plot(dir / "after.png", per_class_bars());
  CHECK(read_plot(dir / "after.png").distinct >= 4);
  CHECK(!std::filesystem::exists(dir / "empty.png"));
  check_no_temp_files(dir);
}

}  // namespace
}  // namespace uniad

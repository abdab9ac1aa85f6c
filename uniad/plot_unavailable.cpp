// uniad/plot.h for builds without PLplot (-DUNIAD_PLOTS=OFF, the default with a dependency
// bundle: docs/cuda.md): every plot call throws, everything else works.
#include "uniad/plot.h"

#include "tensor/error.h"

namespace uniad {

void write_line_plot(const std::string& path, const LinePlot&, int, int) {
  throw Error(cat(path, ": built without PLplot: plots unavailable (rebuild with -DUNIAD_PLOTS=ON)"));
}

void write_bar_plot(const std::string& path, const BarPlot&, int, int) {
  throw Error(cat(path, ": built without PLplot: plots unavailable (rebuild with -DUNIAD_PLOTS=ON)"));
}

}  // namespace uniad

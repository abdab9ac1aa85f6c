#pragma once
// The table of an ablation suite: one row per variant, image and pixel metrics as mean and
// spread. Each seed's value is first averaged over the datasets (the four Fashion-MNIST splits,
// as the paper averages CIFAR-10's); the spread is the sample standard deviation over seeds, or,
// with a single seed, over datasets. Written as Markdown (table.md) and CSV (table.csv, plus
// results.csv with one line per cell).
#include <string>
#include <vector>

#include "experiments/ablation_runner.h"

namespace uniad {

struct MeanSpread {
  double mean = NAN, spread = NAN;  // NaN when no value (spread: fewer than two)
  int count = 0;                    // values behind the mean
};

struct AblationRow {
  std::string variant, what;
  bool baseline = false;
  int runs = 0;               // cells with a result
  MeanSpread image_auroc, pixel_auroc, pixel_aupro;
  double minutes = 0;         // mean training time of a cell
  std::vector<double> image_auroc_per_dataset;  // mean over seeds, in the preset's dataset order
};

// Rows in the suite's variant order; variants without any result are left out.
std::vector<AblationRow> summarize_ablation(const AblationPlan& plan, const std::vector<AblationResult>& results);

// What the spread is taken over, for the table's note: "seeds" or "datasets".
std::string spread_basis(const AblationPlan& plan);

std::string ablation_markdown(const AblationPlan& plan, const std::vector<AblationRow>& rows,
                              const std::string& command);
std::string ablation_table_csv(const AblationPlan& plan, const std::vector<AblationRow>& rows);
std::string ablation_results_csv(const std::vector<AblationResult>& results);

}  // namespace uniad

#include "experiments/ablation_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

namespace uniad {

namespace {

MeanSpread mean_spread(const std::vector<double>& values) {
  MeanSpread m;
  double sum = 0;
  for (double v : values)
    if (!std::isnan(v)) sum += v, ++m.count;
  if (m.count == 0) return m;
  m.mean = sum / m.count;
  if (m.count < 2) return m;
  double sq = 0;
  for (double v : values)
    if (!std::isnan(v)) sq += (v - m.mean) * (v - m.mean);
  m.spread = std::sqrt(sq / (m.count - 1));
  return m;
}

double mean_of(const std::vector<double>& values) { return mean_spread(values).mean; }

std::string fmt(double v, const char* format = "%.4f") {
  if (std::isnan(v)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string fmt_ms(const MeanSpread& m) {
  if (std::isnan(m.mean)) return "n/a";
  return fmt(m.mean) + (std::isnan(m.spread) ? "" : " ± " + fmt(m.spread));
}

std::string csv_num(double v) { return std::isnan(v) ? "" : fmt(v, "%.6g"); }

std::vector<std::string> dataset_names(const AblationPlan& plan) {
  std::vector<std::string> names;
  for (const AblationCell& c : plan.cells)
    if (std::find(names.begin(), names.end(), c.dataset->name) == names.end()) names.push_back(c.dataset->name);
  return names;
}

}  // namespace

std::string spread_basis(const AblationPlan& plan) {
  std::set<uint64_t> seeds;
  for (const AblationCell& c : plan.cells) seeds.insert(c.seed);
  return seeds.size() > 1 ? "seeds" : "datasets";
}

std::vector<AblationRow> summarize_ablation(const AblationPlan& plan, const std::vector<AblationResult>& results) {
  const std::vector<std::string> datasets = dataset_names(plan);
  const bool over_seeds = spread_basis(plan) == "seeds";
  std::vector<AblationRow> rows;
  for (const AblationVariant& v : plan.suite->variants) {
    AblationRow row;
    row.variant = v.name;
    row.what = v.what;
    row.baseline = v.name == plan.suite->baseline;
    // metric -> group (seed, or dataset) -> values to average inside the group
    std::map<uint64_t, std::vector<double>> img_s, pix_s, pro_s;
    std::map<std::string, std::vector<double>> img_d, pix_d, pro_d;
    double seconds = 0;
    for (const AblationResult& r : results) {
      if (r.variant != v.name) continue;
      ++row.runs;
      seconds += r.train_seconds;
      img_s[r.seed].push_back(r.image_auroc), pix_s[r.seed].push_back(r.pixel_auroc), pro_s[r.seed].push_back(r.pixel_aupro);
      img_d[r.dataset].push_back(r.image_auroc), pix_d[r.dataset].push_back(r.pixel_auroc),
          pro_d[r.dataset].push_back(r.pixel_aupro);
    }
    if (row.runs == 0) continue;
    row.minutes = seconds / row.runs / 60.0;
    auto collapse = [&](const auto& groups) {
      std::vector<double> means;
      for (const auto& [key, values] : groups) means.push_back(mean_of(values));
      return mean_spread(means);
    };
    row.image_auroc = over_seeds ? collapse(img_s) : collapse(img_d);
    row.pixel_auroc = over_seeds ? collapse(pix_s) : collapse(pix_d);
    row.pixel_aupro = over_seeds ? collapse(pro_s) : collapse(pro_d);
    for (const std::string& d : datasets)
      row.image_auroc_per_dataset.push_back(img_d.count(d) ? mean_of(img_d[d]) : NAN);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string ablation_markdown(const AblationPlan& plan, const std::vector<AblationRow>& rows,
                              const std::string& command) {
  const AblationSuite& suite = *plan.suite;
  std::ostringstream md;
  md << "## " << suite.name << " suite on " << plan.benchmark->name << " (" << plan.preset->name << " preset)\n\n";
  md << suite.question << ".\n\n";
  md << "Benchmark: " << plan.benchmark->about << ". Preset: " << plan.preset->about << ".\n\n";
  md << "```\n" << command << "\n```\n\n";
  double base = NAN;
  for (const AblationRow& r : rows)
    if (r.baseline) base = r.image_auroc.mean;
  const bool pixel = std::any_of(rows.begin(), rows.end(), [](const AblationRow& r) { return r.pixel_auroc.count > 0; });
  md << "| variant | what | image AUROC | vs " << suite.baseline << " |";
  if (pixel) md << " pixel AUROC | pixel AUPRO |";
  md << " runs | min/run |\n|---|---|---:|---:|";
  if (pixel) md << "---:|---:|";
  md << "---:|---:|\n";
  for (const AblationRow& r : rows) {
    const std::string name = r.baseline ? "**" + r.variant + "**" : r.variant;
    md << "| " << name << " | " << r.what << " | " << fmt_ms(r.image_auroc) << " | "
       << (r.baseline ? "" : fmt(r.image_auroc.mean - base, "%+.4f")) << " |";
    if (pixel) md << " " << fmt_ms(r.pixel_auroc) << " | " << fmt_ms(r.pixel_aupro) << " |";
    md << " " << r.runs << " | " << fmt(r.minutes, "%.1f") << " |\n";
  }
  md << "\nMean ± sample standard deviation over " << spread_basis(plan)
     << (spread_basis(plan) == "seeds" ? " (each seed's value averaged over the datasets first)" : "")
     << "; metrics are means over classes of the final weights' scores; **bold** = the paper's choice.\n";
  const std::vector<std::string> datasets = dataset_names(plan);
  if (datasets.size() > 1) {
    md << "\nImage AUROC per dataset (mean over seeds):\n\n| variant |";
    for (const std::string& d : datasets) md << " " << d << " |";
    md << "\n|---|";
    for (size_t i = 0; i < datasets.size(); ++i) md << "---:|";
    md << "\n";
    for (const AblationRow& r : rows) {
      md << "| " << r.variant << " |";
      for (double v : r.image_auroc_per_dataset) md << " " << fmt(v) << " |";
      md << "\n";
    }
  }
  return md.str();
}

std::string ablation_table_csv(const AblationPlan& plan, const std::vector<AblationRow>& rows) {
  std::ostringstream csv;
  csv << "suite,benchmark,preset,variant,baseline,runs,image_auroc,image_auroc_spread,pixel_auroc,pixel_auroc_spread,"
         "pixel_aupro,pixel_aupro_spread,minutes_per_run,spread_over\n";
  for (const AblationRow& r : rows)
    csv << plan.suite->name << "," << plan.benchmark->name << "," << plan.preset->name << "," << r.variant << ","
        << (r.baseline ? 1 : 0) << "," << r.runs << "," << csv_num(r.image_auroc.mean) << ","
        << csv_num(r.image_auroc.spread) << "," << csv_num(r.pixel_auroc.mean) << "," << csv_num(r.pixel_auroc.spread)
        << "," << csv_num(r.pixel_aupro.mean) << "," << csv_num(r.pixel_aupro.spread) << "," << csv_num(r.minutes)
        << "," << spread_basis(plan) << "\n";
  return csv.str();
}

std::string ablation_results_csv(const std::vector<AblationResult>& results) {
  std::ostringstream csv;
  csv << "dataset,variant,seed,image_auroc,pixel_auroc,pixel_aupro,models,epochs,train_seconds,last_loss\n";
  for (const AblationResult& r : results)
    csv << r.dataset << "," << r.variant << "," << r.seed << "," << csv_num(r.image_auroc) << ","
        << csv_num(r.pixel_auroc) << "," << csv_num(r.pixel_aupro) << "," << r.models << "," << r.epochs << ","
        << csv_num(r.train_seconds) << "," << csv_num(r.last_loss) << "\n";
  return csv.str();
}

}  // namespace uniad

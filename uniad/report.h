#pragma once
// `uniad report RUN_DIR`: plots and a one-page report of a training run and its evaluation.
//
// Reads (each optional except log.jsonl; what is missing is left out of the report and named):
//   RUN_DIR/config.json          the resolved run configuration
//   RUN_DIR/log.jsonl            the trainer's log: step lines {"step","epoch","loss","lr","seconds"},
//                                validation lines {"epoch","val_loss","best","seconds"}, and
//                                test-metric lines {"epoch","test": {"image_auroc",...}} when the
//                                run tracked them (train.track_test_every), and shortcut-lab lines
//                                {"epoch","shortcut": {...}} (train.shortcut_every)
//   RUN_DIR/eval/metrics.json    written by `uniad eval` (schema: docs/main_job.md)
//   RUN_DIR/eval/heatmaps/*.png  composites written by `uniad eval`
// Writes:
//   RUN_DIR/report/loss.png              training loss per step (raw, light) and its per-epoch mean,
//                                        validation loss per epoch, log y axis
//   RUN_DIR/report/lr.png                learning rate per step
//   RUN_DIR/report/test_metrics.png      tracked test metrics per epoch, when present
//   RUN_DIR/report/shortcut.png          the shortcut lab's errors per epoch (log y), and
//   RUN_DIR/report/shortcut_index.png    its copy index and test AUROCs, when the log has them
//                                        (uniad/report_shortcut.h)
//   RUN_DIR/report/per_class_image.png   image AUROC per class, one bar per method
//   RUN_DIR/report/per_class_pixel.png   pixel AUROC per class, one bar per method
//   RUN_DIR/report/per_defect.png        image and pixel AUROC per defect kind (UniAD)
//   RUN_DIR/report/report.md, report.html  one page: headline numbers, the tables, the plots and
//                                        a sample of heat maps, linked by relative paths
#include <string>
#include <vector>

namespace uniad {

struct ReportSummary {
  std::string markdown, html;       // paths written
  std::vector<std::string> plots;   // paths written
  std::vector<std::string> missing; // inputs that were absent, e.g. "eval/metrics.json"
};

ReportSummary write_report(const std::string& run_dir);

}  // namespace uniad

#pragma once
// The identical-shortcut lab: does the network reconstruct what it has never seen?
//
// A reconstruction network that learns to copy its input (the "identical shortcut" of the UniAD
// paper) reconstructs anomalies as well as normal features, so its anomaly map goes flat. This
// file measures it directly: the mean squared reconstruction error per token (mean over the C
// channels, in the model's input feature space) on
//   normal_val     the trainer's held-out normal images (validation_split of the train split)
//   anomalous      tokens of defective test images whose mask cell is defective (area > 0.5)
//   defect_normal  tokens of defective test images whose mask cell is clean (area == 0)
//   ood_gaussian   Gaussian noise with the per-channel mean and std of the training features
//   ood_shuffled   test images with their tokens permuted spatially (local content, wrong layout)
//   ood_classes    normal images of the cache's classes the run does not train on
// and the copy index anomalous / normal_val: well above 1 when anomalies stand out, near 1 when
// the network copies them. docs/shortcut_lab.md shows how to run it and read the curves.
//
// Dimension letters: N images, C channels, G x G token grid (L = G*G tokens), S' mask side.
// The probe (the input sets) is built once, seeded, so every epoch measures the same inputs.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/feature_cache.h"
#include "tensor/random.h"
#include "uniad/evaluate.h"

namespace uniad {

// Where a token of a test image lies. Tokens of defective images with 0 < area <= 0.5 are
// Boundary and count nowhere.
enum class TokenRegion : uint8_t { NormalImage, Anomalous, DefectNormal, Boundary };

// Defective area of each token cell: masks [N, S', S'] of 0/1 -> [N, gh, gw] fractions in [0, 1].
// Cell (i, j) covers [i S'/gh, (i+1) S'/gh) x [j S'/gw, (j+1) S'/gw) in pixel units; a pixel
// split between cells counts in each with its overlap (exact area downsampling).
std::vector<double> mask_cell_fractions(const std::vector<uint8_t>& masks, int64_t mask_size, int64_t gh,
                                        int64_t gw);

// The region of each token: labels [N], masks [N, S', S'] -> [N * gh * gw]. When no mask has a
// defect pixel (one-class-vs-rest data), every token of an anomalous image is Anomalous.
std::vector<TokenRegion> token_regions(const std::vector<int>& labels, const std::vector<uint8_t>& masks,
                                       int64_t mask_size, int64_t gh, int64_t gw);

// Per-channel mean and standard deviation (population) of features [N, C, G, G] over N and
// positions: {mean [C], std [C]}.
std::pair<std::vector<double>, std::vector<double>> channel_stats(const Tensor& features);

// n images of i.i.d. Gaussian tokens, channel c ~ N(mean[c], stddev[c]^2): [n, C, gh, gw].
Tensor gaussian_features(const std::vector<double>& mean, const std::vector<double>& stddev, int64_t n, int64_t gh,
                         int64_t gw, Generator& gen);

// Each image's tokens permuted by its own random permutation (the same permutation for all
// channels of a token): [N, C, G, G] -> [N, C, G, G]. perms (optional) receives [N][L] with
// out[:, :, l] = in[:, :, perm[l]].
Tensor shuffle_tokens(const Tensor& features, Generator& gen, std::vector<std::vector<int64_t>>* perms = nullptr);

// At most `max` of the rows [0, n), chosen at random and kept in increasing order.
std::vector<int64_t> subsample_rows(int64_t n, int64_t max, Generator& gen);

// Mean squared error per token from a reconstruction map: `map` gives sqrt(sum_c (f_hat - f)^2)
// per token (reconstruction_map does), so the mean over channels is map^2 / C.
// features [N, C, G, G] -> [N * G * G].
std::vector<double> token_errors(const Tensor& features, const MapFunction& map, int64_t batch_size);

struct ShortcutProbeOptions {
  uint64_t seed = 0;
  int64_t max_ood_images = 256;  // each OOD set (and the shuffled test images) is subsampled to this
};

// The input sets, built once.
struct ShortcutProbe {
  Tensor normal_val;                 // [Nv, C, G, G]
  Tensor test;                       // [Nt, C, G, G] the whole test split (AUROCs and regions)
  std::vector<TokenRegion> regions;  // [Nt * L]
  Tensor ood_gaussian;               // [No, C, G, G]
  Tensor ood_shuffled;               // [Ns, C, G, G]
  Tensor ood_classes;                // [Nc, C, G, G]; undefined when there are no other classes
  std::vector<std::string> notes;    // what was substituted or skipped
};

// train: the run's training features (statistics for the Gaussian set); normal_val: the held-out
// normal images, or an undefined tensor to use the normal test images instead (noted);
// other_classes: features of classes outside the run, undefined or empty when there are none.
ShortcutProbe make_shortcut_probe(const Tensor& train, const Tensor& normal_val, const data::FeatureSplit& test,
                                  const Tensor& other_classes, const ShortcutProbeOptions& options);

struct ShortcutErrors {
  double normal_val = NAN, anomalous = NAN, defect_normal = NAN;
  double ood_gaussian = NAN, ood_shuffled = NAN, ood_classes = NAN;
  int64_t anomalous_tokens = 0, defect_normal_tokens = 0;
  // anomalous / normal_val; NaN when either is missing or normal_val is 0 (a perfect copier).
  double copy_index() const;
};

// Mean error per set; test_errors: token_errors of probe.test when the caller has them already
// (the training hook computes them during scoring), else empty to compute them here.
ShortcutErrors measure_shortcut(const ShortcutProbe& probe, const MapFunction& map, int64_t batch_size,
                                const std::vector<double>& test_errors = {});

// One training-log entry: the errors, the copy index and the test AUROCs (mean over classes).
// {"normal_val", "anomalous", "defect_normal", "ood_gaussian", "ood_shuffled", "ood_classes",
//  "copy_index", "image_auroc", "pixel_auroc"}; NaN is written as null.
nlohmann::json shortcut_json(const ShortcutErrors& errors, double image_auroc, double pixel_auroc);

// The mean over classes of the pixel AUROC, the number evaluate_split(test, scored).mean gives,
// without its AUPRO (the slow part, not needed here).
double mean_pixel_auroc(const data::FeatureSplit& test, const ScoredSplit& scored);

// Everything for one epoch: scores probe.test with `map` (eval settings) for the AUROCs,
// reusing those maps for the region errors, then the other sets. `test` is the split the probe
// was made from (labels, masks, classes).
nlohmann::json shortcut_epoch(const ShortcutProbe& probe, const data::FeatureSplit& test, const MapFunction& map,
                              const EvalConfig& eval);

}  // namespace uniad

#include "uniad/shortcut_lab.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <span>

#include "tensor/error.h"
#include "uniad/trainer.h"

namespace uniad {

namespace {

// Overlap of pixel [p, p + 1) with cell [lo, hi), in pixels.
double overlap(int64_t p, double lo, double hi) {
  return std::max(0.0, std::min(double(p + 1), hi) - std::max(double(p), lo));
}

void check_features(const Tensor& f, const char* what) {
  UNIAD_CHECK(f.dim() == 4 && f.dtype() == DType::Float32, "shortcut lab: ", what, " must be float32 [N, C, G, G], got ",
              dtype_name(f.dtype()), " ", shape_str(f.shape()));
}

// Fisher-Yates with the generator: a uniform random permutation of [0, n).
std::vector<int64_t> permutation(int64_t n, Generator& gen) {
  std::vector<int64_t> p(n);
  std::iota(p.begin(), p.end(), 0);
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(p[i], p[static_cast<int64_t>(gen.next_u64() % static_cast<uint64_t>(i + 1))]);
  return p;
}

// Mean of errors[i] over the i with keep(i); NaN when none.
template <typename Keep>
double mean_where(const std::vector<double>& errors, Keep keep, int64_t* count = nullptr) {
  double sum = 0;
  int64_t n = 0;
  for (size_t i = 0; i < errors.size(); ++i)
    if (keep(i)) {
      sum += errors[i];
      ++n;
    }
  if (count) *count = n;
  return n > 0 ? sum / double(n) : NAN;
}

double mean_of(const std::vector<double>& v) {
  return mean_where(v, [](size_t) { return true; });
}

}  // namespace

std::vector<double> mask_cell_fractions(const std::vector<uint8_t>& masks, int64_t mask_size, int64_t gh,
                                        int64_t gw) {
  const int64_t s = mask_size, px = s * s;
  UNIAD_CHECK(s > 0 && gh > 0 && gw > 0 && int64_t(masks.size()) % px == 0, "mask_cell_fractions: ", masks.size(),
              " mask bytes are not a whole number of ", s, "x", s, " masks");
  const int64_t n = int64_t(masks.size()) / px;
  const double ch = double(s) / double(gh), cw = double(s) / double(gw);  // cell size in pixels
  std::vector<double> out(size_t(n * gh * gw), 0.0);                      // [N, gh, gw]
  for (int64_t img = 0; img < n; ++img)
    for (int64_t i = 0; i < gh; ++i)
      for (int64_t y = int64_t(std::floor(i * ch)); y < std::min(s, int64_t(std::ceil((i + 1) * ch))); ++y) {
        const double wy = overlap(y, i * ch, (i + 1) * ch);
        for (int64_t j = 0; j < gw; ++j) {
          double sum = 0;
          for (int64_t x = int64_t(std::floor(j * cw)); x < std::min(s, int64_t(std::ceil((j + 1) * cw))); ++x)
            if (masks[size_t(img * px + y * s + x)]) sum += overlap(x, j * cw, (j + 1) * cw);
          out[size_t((img * gh + i) * gw + j)] += wy * sum / (ch * cw);
        }
      }
  return out;
}

std::vector<TokenRegion> token_regions(const std::vector<int>& labels, const std::vector<uint8_t>& masks,
                                       int64_t mask_size, int64_t gh, int64_t gw) {
  const int64_t n = int64_t(labels.size()), l = gh * gw;
  UNIAD_CHECK(int64_t(masks.size()) == n * mask_size * mask_size, "token_regions: ", n, " labels but ", masks.size(),
              " mask bytes of ", mask_size, "x", mask_size);
  const std::vector<double> fractions = mask_cell_fractions(masks, mask_size, gh, gw);  // [N, L]
  // A split without a single defect pixel (Fashion-MNIST, CIFAR-10: a whole image of another
  // class is the anomaly) has anomalous images but no regions: all their tokens are anomalous.
  const bool no_masks = std::all_of(masks.begin(), masks.end(), [](uint8_t m) { return m == 0; });
  std::vector<TokenRegion> out(size_t(n * l));
  for (int64_t img = 0; img < n; ++img)
    for (int64_t t = 0; t < l; ++t) {
      const double f = fractions[size_t(img * l + t)];
      TokenRegion& r = out[size_t(img * l + t)];
      if (labels[size_t(img)] == 0) r = TokenRegion::NormalImage;
      else if (no_masks || f > 0.5) r = TokenRegion::Anomalous;
      else if (f == 0.0) r = TokenRegion::DefectNormal;
      else r = TokenRegion::Boundary;
    }
  return out;
}

std::pair<std::vector<double>, std::vector<double>> channel_stats(const Tensor& features) {
  check_features(features, "features");
  const Tensor f = features.contiguous();
  const int64_t n = f.size(0), c = f.size(1), l = f.size(2) * f.size(3);
  const float* p = f.data<float>();
  std::vector<double> mean(size_t(c), 0.0), stddev(size_t(c), 0.0);
  for (int64_t ch = 0; ch < c; ++ch) {  // two passes per channel in double: exact enough, obviously right
    double sum = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t t = 0; t < l; ++t) sum += p[(i * c + ch) * l + t];
    const double m = sum / double(std::max<int64_t>(n * l, 1));
    double sq = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t t = 0; t < l; ++t) sq += (p[(i * c + ch) * l + t] - m) * (p[(i * c + ch) * l + t] - m);
    mean[size_t(ch)] = m;
    stddev[size_t(ch)] = std::sqrt(sq / double(std::max<int64_t>(n * l, 1)));
  }
  return {mean, stddev};
}

Tensor gaussian_features(const std::vector<double>& mean, const std::vector<double>& stddev, int64_t n, int64_t gh,
                         int64_t gw, Generator& gen) {
  UNIAD_CHECK(mean.size() == stddev.size(), "gaussian_features: ", mean.size(), " means but ", stddev.size(), " stds");
  const int64_t c = int64_t(mean.size()), l = gh * gw;
  Tensor out = Tensor::empty({n, c, gh, gw});  // [n, C, gh, gw]
  float* p = out.data<float>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t t = 0; t < l; ++t)
        p[(i * c + ch) * l + t] = float(mean[size_t(ch)] + stddev[size_t(ch)] * gen.normal());
  return out;
}

Tensor shuffle_tokens(const Tensor& features, Generator& gen, std::vector<std::vector<int64_t>>* perms) {
  check_features(features, "features");
  const Tensor f = features.contiguous();
  const int64_t n = f.size(0), c = f.size(1), l = f.size(2) * f.size(3);
  Tensor out = Tensor::empty(f.shape());  // [N, C, G, G]
  const float* src = f.data<float>();
  float* dst = out.data<float>();
  if (perms) perms->clear();
  for (int64_t i = 0; i < n; ++i) {
    const std::vector<int64_t> perm = permutation(l, gen);
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t t = 0; t < l; ++t) dst[(i * c + ch) * l + t] = src[(i * c + ch) * l + perm[size_t(t)]];
    if (perms) perms->push_back(perm);
  }
  return out;
}

std::vector<int64_t> subsample_rows(int64_t n, int64_t max, Generator& gen) {
  std::vector<int64_t> rows = permutation(n, gen);
  if (n > max) rows.resize(size_t(std::max<int64_t>(max, 0)));
  std::sort(rows.begin(), rows.end());
  return rows;
}

std::vector<double> token_errors(const Tensor& features, const MapFunction& map, int64_t batch_size) {
  check_features(features, "features");
  const int64_t n = features.size(0), c = features.size(1), l = features.size(2) * features.size(3);
  std::vector<double> out;
  out.reserve(size_t(n * l));
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t end = std::min(n, start + batch_size);
    const Tensor m = map(features.slice(0, start, end).contiguous()).contiguous();  // [b, 1, G, G]
    UNIAD_CHECK(m.numel() == (end - start) * l, "token_errors: the map function returned ", shape_str(m.shape()),
                " for ", end - start, " images of ", l, " tokens");
    const float* p = m.data<float>();
    for (int64_t i = 0; i < m.numel(); ++i) out.push_back(double(p[i]) * double(p[i]) / double(c));
  }
  return out;
}

ShortcutProbe make_shortcut_probe(const Tensor& train, const Tensor& normal_val, const data::FeatureSplit& test,
                                  const Tensor& other_classes, const ShortcutProbeOptions& options) {
  check_features(train, "the training features");
  check_features(test.features, "the test features");
  const int64_t gh = test.features.size(2), gw = test.features.size(3);
  Generator gen(options.seed ^ 0x5407C07ull);  // its own stream, independent of training draws
  ShortcutProbe p;
  p.test = test.features;
  p.regions = token_regions(test.labels, test.masks, test.mask_size, gh, gw);
  if (normal_val.defined() && normal_val.size(0) > 0) {
    p.normal_val = normal_val;
  } else {
    std::vector<int64_t> normal;
    for (size_t i = 0; i < test.labels.size(); ++i)
      if (test.labels[i] == 0) normal.push_back(int64_t(i));
    UNIAD_CHECK(!normal.empty(), "shortcut lab: no held-out normal images (train.val_fraction is 0) and no normal "
                "test images to stand in for them");
    p.normal_val = take_rows(test.features, normal);
    p.notes.push_back("no held-out validation images (train.val_fraction = 0): normal_val uses the normal test images");
  }
  const auto [mean, stddev] = channel_stats(train);
  p.ood_gaussian = gaussian_features(mean, stddev, options.max_ood_images, gh, gw, gen);
  p.ood_shuffled = shuffle_tokens(take_rows(test.features, subsample_rows(test.features.size(0),
                                                                          options.max_ood_images, gen)), gen);
  if (other_classes.defined() && other_classes.size(0) > 0) {
    check_features(other_classes, "the other classes' features");
    p.ood_classes = take_rows(other_classes, subsample_rows(other_classes.size(0), options.max_ood_images, gen));
  } else {
    p.notes.push_back("ood_classes skipped: the run trains on every class of the cache");
  }
  return p;
}

double ShortcutErrors::copy_index() const {
  if (!(normal_val > 0) || !std::isfinite(anomalous)) return NAN;
  return anomalous / normal_val;
}

ShortcutErrors measure_shortcut(const ShortcutProbe& probe, const MapFunction& map, int64_t batch_size,
                                const std::vector<double>& test_errors) {
  const std::vector<double> test = test_errors.empty() ? token_errors(probe.test, map, batch_size) : test_errors;
  UNIAD_CHECK(test.size() == probe.regions.size(), "measure_shortcut: ", test.size(), " test token errors for ",
              probe.regions.size(), " tokens");
  ShortcutErrors e;
  e.anomalous = mean_where(test, [&](size_t i) { return probe.regions[i] == TokenRegion::Anomalous; },
                           &e.anomalous_tokens);
  e.defect_normal = mean_where(test, [&](size_t i) { return probe.regions[i] == TokenRegion::DefectNormal; },
                               &e.defect_normal_tokens);
  e.normal_val = mean_of(token_errors(probe.normal_val, map, batch_size));
  e.ood_gaussian = mean_of(token_errors(probe.ood_gaussian, map, batch_size));
  e.ood_shuffled = mean_of(token_errors(probe.ood_shuffled, map, batch_size));
  if (probe.ood_classes.defined()) e.ood_classes = mean_of(token_errors(probe.ood_classes, map, batch_size));
  return e;
}

nlohmann::json shortcut_json(const ShortcutErrors& e, double image_auroc, double pixel_auroc) {
  auto value = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"normal_val", value(e.normal_val)},     {"anomalous", value(e.anomalous)},
          {"defect_normal", value(e.defect_normal)}, {"ood_gaussian", value(e.ood_gaussian)},
          {"ood_shuffled", value(e.ood_shuffled)}, {"ood_classes", value(e.ood_classes)},
          {"copy_index", value(e.copy_index())},   {"image_auroc", value(image_auroc)},
          {"pixel_auroc", value(pixel_auroc)}};
}

double mean_pixel_auroc(const data::FeatureSplit& test, const ScoredSplit& scored) {
  const size_t px = size_t(scored.size * scored.size);
  UNIAD_CHECK(test.mask_size == scored.size && test.masks.size() == test.labels.size() * px &&
              scored.maps.size() == test.labels.size() * px, "mean_pixel_auroc: ", test.labels.size(), " images with ",
              test.mask_size, "x", test.mask_size, " masks but ", scored.count, " maps of ", scored.size, "x", scored.size);
  double sum = 0;
  int count = 0;
  for (size_t c = 0; c < test.class_names.size(); ++c) {
    std::vector<float> maps;     // [n_c * S'^2]
    std::vector<uint8_t> masks;  // [n_c * S'^2]
    for (size_t i = 0; i < test.labels.size(); ++i)
      if (size_t(test.class_ids[i]) == c) {
        maps.insert(maps.end(), scored.maps.begin() + long(i * px), scored.maps.begin() + long((i + 1) * px));
        masks.insert(masks.end(), test.masks.begin() + long(i * px), test.masks.begin() + long((i + 1) * px));
      }
    if (maps.empty()) continue;
    const double auroc = binary_metrics(std::span<const float>(maps), masks).auroc;
    if (std::isnan(auroc)) continue;  // a class without defect pixels (or without clean ones)
    sum += auroc;
    ++count;
  }
  return count ? sum / count : NAN;
}

nlohmann::json shortcut_epoch(const ShortcutProbe& probe, const data::FeatureSplit& test, const MapFunction& map,
                              const EvalConfig& eval) {
  // Record the token maps while scoring, so the test split runs through the network once.
  std::vector<double> test_errors;
  const int64_t c = probe.test.size(1);
  const MapFunction recording = [&](const Tensor& features) {
    const Tensor m = map(features).contiguous();  // [b, 1, G, G]
    const float* p = m.data<float>();
    for (int64_t i = 0; i < m.numel(); ++i) test_errors.push_back(double(p[i]) * double(p[i]) / double(c));
    return m;
  };
  const ScoredSplit scored = score_features(probe.test, recording, test.mask_size, eval);
  const double image_auroc = evaluate_split(test, scored, /*with_pixel=*/false).mean.image.auroc;
  const ShortcutErrors errors = measure_shortcut(probe, map, eval.batch_size, test_errors);
  return shortcut_json(errors, image_auroc, mean_pixel_auroc(test, scored));
}

}  // namespace uniad

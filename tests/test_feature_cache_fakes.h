#pragma once
// Test doubles for the feature cache: a fake backbone (block means, no weights) and a tiny data
// set in the MVTec-AD layout written to a temporary folder.
#include <unistd.h>

#include <functional>
#include <string>

#include "data/feature_config.h"
#include "data/feature_extractor.h"
#include "data/image.h"
#include "tensor/random.h"
#include "test_util.h"

namespace uniad::test {

// images [B, 3, S, S] -> [B, 6, G, G] with G = S / 8: per 8 x 8 block, the mean of each colour
// channel (channels 0-2) and the mean of its square (3-5). Cheap, deterministic, and every
// pixel moves some output, so a wrong image in the wrong row shows.
class FakeExtractor : public data::FeatureExtractor {
 public:
  explicit FakeExtractor(int input_size, std::string tag = "fake") : size_(input_size), tag_(std::move(tag)) {}

  Tensor extract(const Tensor& images) override {
    REQUIRE(images.dim() == 4);
    REQUIRE(images.size(1) == 3);
    REQUIRE(images.size(2) == size_);
    ++calls;
    if (on_call) on_call(calls);
    const int64_t b = images.size(0), g = grid(), k = 8, s = size_;
    const Tensor in = images.contiguous();
    const float* x = in.data<float>();
    Tensor out = Tensor::zeros({b, 6, g, g});  // [B, C, G, G]
    float* o = out.data<float>();
    for (int64_t n = 0; n < b; ++n)
      for (int64_t c = 0; c < 3; ++c)
        for (int64_t gy = 0; gy < g; ++gy)
          for (int64_t gx = 0; gx < g; ++gx) {
            double sum = 0, sq = 0;
            for (int64_t y = gy * k; y < gy * k + k; ++y)
              for (int64_t xx = gx * k; xx < gx * k + k; ++xx) {
                const double v = x[((n * 3 + c) * s + y) * s + xx];
                sum += v;
                sq += v * v;
              }
            o[((n * 6 + c) * g + gy) * g + gx] = static_cast<float>(sum / (k * k));
            o[((n * 6 + c + 3) * g + gy) * g + gx] = static_cast<float>(sq / (k * k));
          }
    images_seen += b;
    return out;
  }
  int64_t channels() const override { return 6; }
  int grid() const override { return size_ / 8; }
  std::string describe() const override {
    return cat("{\"backbone\":\"", tag_, "\",\"input_size\":", size_, ",\"channels\":6,\"grid\":", size_ / 8, "}");
  }

  int64_t calls = 0, images_seen = 0;
  std::function<void(int64_t call)> on_call;  // e.g. throw or _exit on the k-th call

 private:
  int size_;
  std::string tag_;
};

// The configuration the cache tests use: an MVTec-layout folder at `root`, input 32 (G = 4 for
// FakeExtractor), masks at 16, the fake backbone, and the given batch size.
inline data::FeatureCacheConfig tiny_cache_config(const std::string& root, int64_t batch_size) {
  data::FeatureCacheConfig c;
  c.data.kind = "mvtec";
  c.data.root = root;
  c.data.input_size = 32;
  c.data.eval_size = 16;
  c.backbone.name = "fake";
  c.features.batch_size = batch_size;
  return c;
}

// A random 8-bit image (seeded) of the given size and channels.
inline data::Image random_image(int h, int w, int channels, uint64_t seed) {
  Generator gen(seed);
  const Tensor v = rand_uniform({int64_t(h) * w * channels}, 0.0, 256.0, gen, DType::Float64);
  data::Image im = data::Image::zeros8(h, w, channels);
  const double* p = v.data<double>();
  for (size_t i = 0; i < im.u8.size(); ++i) im.u8[i] = static_cast<uint8_t>(std::min(255.0, p[i]));
  return im;
}

// A mask with a filled rectangle of value `value` on zeros.
inline data::Image rect_mask(int h, int w, int y0, int y1, int x0, int x1, uint8_t value = 255) {
  data::Image m = data::Image::zeros8(h, w, 1);
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) m.at(y, x) = value;
  return m;
}

// Two classes in the MVTec layout, non-square images (so that resizing matters), one grey one:
//   alpha: train/good 000-002, test/good 000, test/crack 000-001 with masks
//   beta:  train/good 000-002 (001 grey), test/good 000, test/hole 000 with mask
// 6 train and 5 test images in all.
inline void write_tiny_mvtec(const std::string& root) {
  namespace fs = std::filesystem;
  uint64_t seed = 100;
  auto put = [&](const std::string& rel, const data::Image& im) {
    fs::create_directories((fs::path(root) / rel).parent_path());
    data::write_png((fs::path(root) / rel).string(), im);
  };
  for (const std::string cls : {"alpha", "beta"}) {
    for (int i = 0; i < 3; ++i)
      put(cls + "/train/good/00" + std::to_string(i) + ".png",
          random_image(20, 24, cls == "beta" && i == 1 ? 1 : 3, ++seed));
    put(cls + "/test/good/000.png", random_image(20, 24, 3, ++seed));
    const std::string defect = cls == "alpha" ? "crack" : "hole";
    const int n = cls == "alpha" ? 2 : 1;
    for (int i = 0; i < n; ++i) {
      put(cls + "/test/" + defect + "/00" + std::to_string(i) + ".png", random_image(20, 24, 3, ++seed));
      // The defect covers the top half (any value > 0 counts: 7 here).
      put(cls + "/ground_truth/" + defect + "/00" + std::to_string(i) + "_mask.png", rect_mask(20, 24, 0, 10, 0, 24, 7));
    }
  }
}

}  // namespace uniad::test

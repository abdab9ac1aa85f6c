// How fast the cache itself is, without a real backbone: a near-free fake extractor with the
// paper's output size (272 x 14 x 14) over Fashion-MNIST images resized to 224. Skipped by
// default (it writes about 0.8 GB); run it with
//   ./build/tests/uniad_tests -tc="*cache speed*" --no-skip
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "data/feature_cache.h"
#include "test_feature_cache_fakes.h"

using namespace uniad;
namespace fs = std::filesystem;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// [B, 3, 224, 224] -> [B, 272, 14, 14]: each 16 x 16 block's mean of channel 0, scaled per
// channel. Costs one pass over the pixels, so the timings are the cache's.
class WideFake : public data::FeatureExtractor {
 public:
  Tensor extract(const Tensor& images) override {
    const int64_t b = images.size(0), s = images.size(2), g = 14, k = s / g, c = 272;
    const float* x = images.data<float>();
    Tensor out = Tensor::empty({b, c, g, g});  // [B, C, G, G]
    float* o = out.data<float>();
    for (int64_t n = 0; n < b; ++n)
      for (int64_t gy = 0; gy < g; ++gy)
        for (int64_t gx = 0; gx < g; ++gx) {
          double sum = 0;
          for (int64_t y = gy * k; y < gy * k + k; ++y)
            for (int64_t xx = gx * k; xx < gx * k + k; ++xx) sum += x[(n * 3 * s + y) * s + xx];
          for (int64_t ch = 0; ch < c; ++ch) o[((n * c + ch) * g + gy) * g + gx] = float(sum / (k * k) * (1 + ch));
        }
    return out;
  }
  int64_t channels() const override { return 272; }
  int grid() const override { return 14; }
  std::string describe() const override { return "{\"backbone\":\"wide-fake\"}"; }
};

}  // namespace

TEST_CASE("feature cache speed: write and read with a near-free extractor" * doctest::skip()) {
  const std::string src = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(src + "/train-images-idx3-ubyte.gz")) {
    MESSAGE("skipped: needs ", src);
    return;
  }
  test::TempDir dir("fc_speed");
  data::FeatureCacheConfig c;
  c.data.kind = "fashion-mnist";
  c.data.root = src;
  c.data.input_size = 224;
  c.data.eval_size = 224;
  c.backbone.name = "wide-fake";
  c.features.batch_size = 32;
  data::Dataset d = data::open_configured_dataset(c.data);
  d.train.resize(2048);
  d.test.resize(1024);
  WideFake fake;
  const std::string out = dir / "speed.h5";
  const data::FeatureCacheSummary s = data::build_feature_cache(c, d, fake, out);
  const double feature_mb = double(s.train + s.test) * 272 * 14 * 14 * 4 / 1e6;
  std::printf("[speed] write %lld samples: %.2f s = %.0f images/s; load %.2f s, extractor %.2f s, write %.2f s "
              "(%.0f MB of features at %.0f MB/s); file %.0f MB\n",
              (long long)s.extracted, s.seconds, s.extracted / s.seconds, s.load_seconds, s.extract_seconds,
              s.write_seconds, feature_mb, feature_mb / s.write_seconds, s.file_bytes / 1e6);

  auto t0 = std::chrono::steady_clock::now();
  const data::FeatureSplit train = data::read_feature_split(out, "train");
  const double train_s = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  const data::FeatureSplit test_split = data::read_feature_split(out, "test");
  const double test_s = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  const data::FeatureSplit one = data::read_feature_split(out, "train", {"Coat"});
  const double one_s = seconds_since(t0);
  std::printf("[speed] read train %lld x 272 x 14 x 14: %.2f s (%.0f MB/s); test with %lld masks of 224 x 224: "
              "%.2f s; one class (%lld rows): %.2f s\n",
              (long long)train.features.size(0), train_s, train.features.numel() * 4 / 1e6 / train_s,
              (long long)test_split.features.size(0), test_s, (long long)one.features.size(0), one_s);
  CHECK(train.features.size(0) == 2048);
  CHECK(test_split.masks.size() == size_t(1024) * 224 * 224);
}

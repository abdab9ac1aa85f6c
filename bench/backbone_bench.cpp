// Backbone feature extraction: MobileNetV2 to the deepest default block (block_10), input
// scaling, resize to 14 x 14 and concatenation, batch 16 at 224 px: ours (data/feature_extractor.h)
// next to PyTorch running the same definition (tools/mobilenet_v2_reference.py) with the same
// weight file, in the same run, same thread count. Prints images/second and the ratios.
//
//   build/bench/bench_backbone [--threads N (2)] [--repeats R (5)] [--rounds K (3)] [--batch B (16)]
//                              [--size S (224)] [--weights FILE] [--profile] [--profile-only] [--ours-only]
// --weights defaults to weights/mobilenet_v2.h5 (scripts/fetch_mobilenet_v2.sh); when it is
// missing, random weights of the same shapes are written to a temporary file (timings do not
// depend on the values). --profile adds the time spent per block and per op kind.
#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "bench_util.h"
#include "data/feature_extractor.h"
#include "data/mbconv.h"
#include "data/mobilenet_v2.h"
#include "tensor/conv2d.h"
#include "tensor/hdf5_io.h"
#include "tensor/random.h"

using namespace uniad;
using bench::arg_int;
using bench::median_seconds;

namespace {

std::string arg_str(int argc, char** argv, const std::string& flag, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == flag) return argv[i + 1];
  return fallback;
}

bool has_flag(int argc, char** argv, const std::string& flag) {
  for (int i = 1; i < argc; ++i)
    if (argv[i] == flag) return true;
  return false;
}

// Random MobileNetV2 weights (stem and blocks 0-10) in the backbone format.
void write_random_weights(const std::string& path) {
  const data::MBConvSpec spec = data::mobilenet_v2_spec();
  Generator gen(0);
  h5::File f = h5::File::create(path);
  f.set_attr("/", "format", "uniad-backbone-v1");
  f.set_attr("/", "architecture", "mobilenet_v2");
  auto conv_bn = [&](const data::ConvBNNames& n, const Shape& shape) {
    f.write(n.conv + "/weight", rand_normal(shape, 0, std::sqrt(2.0 / (shape[1] * shape[2] * shape[3])), gen));
    f.write(n.bn + "/weight", rand_uniform({shape[0]}, 0.7, 1.3, gen));
    f.write(n.bn + "/bias", rand_normal({shape[0]}, 0, 0.2, gen));
    f.write(n.bn + "/running_mean", rand_normal({shape[0]}, 0, 0.2, gen));
    f.write(n.bn + "/running_var", rand_uniform({shape[0]}, 0.5, 1.5, gen));
  };
  conv_bn(spec.stem, {32, 3, 3, 3});
  for (int i = 0; i <= 10; ++i) {
    const data::MBConvBlockSpec& b = spec.blocks[i];
    if (b.expand_ratio > 1) conv_bn(b.expand, {b.expanded(), b.in, 1, 1});
    conv_bn(b.depthwise, {b.expanded(), 1, 3, 3});
    conv_bn(b.project, {b.out, b.expanded(), 1, 1});
  }
  f.close();
}

// One image on one thread, op by op: the time and GMAC/s of every conv of every block (random
// inputs of the right shapes), and the whole forward for comparison. Activations are not timed
// separately: their share is the whole minus the convs.
void profile(const std::string& weights, int size, int repeats) {
  const data::MBConvSpec spec = data::mobilenet_v2_spec();
  const data::MBConvNet net = data::MBConvNet::load(spec, weights, 10);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  Generator gen(2);
  auto conv = [&](int64_t c, int64_t o, int64_t side, int64_t k, int64_t stride, bool dw, double& ms, double& gmacs) {
    const Tensor x = rand_uniform({1, c, side, side}, 0, 6, gen);
    const Tensor w = rand_normal({o, dw ? 1 : c, k, k}, 0, 0.1, gen), b = rand_normal({o}, 0, 1, gen);
    ops::Conv2dParams p;
    p.stride_h = p.stride_w = stride;
    const data::PadPair pad = data::same_padding(side, k, stride);
    p.pad_top = p.pad_left = pad.before, p.pad_bottom = p.pad_right = pad.after;
    p.groups = dw ? c : 1;
    const int64_t out = data::ceil_div(side, stride);
    const double t = median_seconds([&] { ops::conv2d(x, w, b, p); }, repeats * 4);
    ms = t * 1e3;
    gmacs = double(o) * out * out * k * k * (dw ? 1 : c) / t / 1e9;
  };
  std::printf("\nprofile: one image, one thread; ms and GMAC/s per conv\n");
  std::printf("%-26s %16s %16s %16s\n", "block", "expand 1x1", "depthwise 3x3", "project 1x1");
  double total = 0, ms, g;
  int64_t side = data::ceil_div(size, 2);
  conv(3, spec.stem_channels, size, 3, 2, false, ms, g);
  std::printf("%-26s %7.3f %7.1f\n", "stem (im2col + GEMM)", ms, g);
  total += ms;
  for (int b = 0; b <= 10; ++b) {
    const data::MBConvBlockSpec& s = spec.blocks[b];
    const int64_t e = s.expanded(), out = data::ceil_div(side, s.stride);
    std::printf("%-26s", s.output_name.c_str());
    if (s.expand_ratio > 1) {
      conv(s.in, e, side, 1, 1, false, ms, g);
      std::printf(" %7.3f %7.1f ", ms, g);
      total += ms;
    } else {
      std::printf(" %16s", "");
    }
    conv(e, e, side, 3, s.stride, true, ms, g);
    std::printf(" %7.3f %7.1f ", ms, g);
    total += ms;
    conv(e, s.out, out, 1, 1, false, ms, g);
    std::printf(" %7.3f %7.1f\n", ms, g);
    total += ms;
    side = out;
  }
  const Tensor x = rand_uniform({1, 3, size, size}, -1, 1, gen);
  const double whole = median_seconds([&] { net.forward(x, {10}); }, repeats * 4) * 1e3;
  std::printf("convs together %.2f ms; whole forward to block_10 %.2f ms (the rest: activations, adds, copies)\n",
              total, whole);
  omp_set_num_threads(saved);
}

}  // namespace

int main(int argc, char** argv) {
  if (bench::wants_help(argc, argv,
                        "usage: bench_backbone [--threads N (2)] [--repeats R (5)] [--rounds K (3)] [--batch B (16)] "
                        "[--size S (224)] [--weights FILE] [--profile] [--profile-only] [--ours-only]"))
    return 0;
  const int threads = arg_int(argc, argv, "--threads", 2);
  const int repeats = arg_int(argc, argv, "--repeats", 5);
  const int rounds = arg_int(argc, argv, "--rounds", 3);
  const int batch = arg_int(argc, argv, "--batch", 16);
  const int size = arg_int(argc, argv, "--size", 224);
  std::string weights = arg_str(argc, argv, "--weights", UNIAD_SOURCE_DIR "/weights/mobilenet_v2.h5");
  omp_set_num_threads(threads);

  std::string kind = "nsfwjs ImageNet weights";
  const std::string temp = "/tmp/uniad_bench_backbone_weights.h5";
  if (!std::filesystem::exists(weights)) {
    std::printf("%s not found: using random weights (%s)\n", weights.c_str(), temp.c_str());
    write_random_weights(temp);
    weights = temp;
    kind = "random weights";
  }
  data::FeatureExtractorConfig config;
  config.weights = weights;
  config.input_size = size;
  auto extractor = data::make_feature_extractor(config);
  Generator gen(1);
  const Tensor images = rand_uniform({batch, 3, size, size}, 0, 1, gen);  // [B, 3, S, S]

  if (has_flag(argc, argv, "--profile-only")) {
    profile(weights, size, repeats);
    return 0;
  }
  std::vector<double> ours;
  std::map<std::string, std::vector<double>> torch;
  for (int r = 0; r < rounds; ++r) {
    ours.push_back(median_seconds([&] { extractor->extract(images); }, repeats));
    if (has_flag(argc, argv, "--ours-only")) {
      std::printf("ours: %.4f s/batch, %.1f images/s\n", ours.back(), batch / ours.back());
      continue;
    }
    const auto t = bench::run_torch_script("torch_backbone.py", threads,
                                           "--repeats " + std::to_string(repeats) + " --batch " + std::to_string(batch) +
                                               " --size " + std::to_string(size) + " --weights " + weights);
    if (t.empty()) {
      std::fprintf(stderr, "bench_backbone: could not run PyTorch (/usr/bin/python3 with python3-torch); "
                           "install it with: apt-get install python3-torch libopenblas0-pthread\n");
      return 1;
    }
    for (const auto& [k, v] : t) torch[k].push_back(v);
  }

  std::printf("MobileNetV2 features (blocks 0, 2, 5, 10 -> 168 x %d x %d), %s, batch %d, %d px, %d threads, "
              "median of %d x %d runs\n", size / 16, size / 16, kind.c_str(), batch, size, threads, rounds, repeats);
  if (has_flag(argc, argv, "--ours-only")) return 0;
  const double ours_s = bench::median(ours);
  std::printf("%-46s %10s %12s %10s\n", "", "s/batch", "images/s", "ours vs");
  std::printf("%-46s %10.4f %12.1f\n", "ours (data::make_feature_extractor)", ours_s, batch / ours_s);
  const std::map<std::string, std::string> names = {
      {"reference", "PyTorch, reference definition (BN unfolded)"},
      {"folded", "PyTorch, BN folded, NCHW"},
      {"folded_cl", "PyTorch, BN folded, channels_last"}};
  for (const auto& [key, label] : names) {
    if (!torch.count(key)) continue;
    const double s = bench::median(torch[key]);
    std::printf("%-46s %10.4f %12.1f %9.2fx\n", label.c_str(), s, batch / s, s / ours_s);
  }
  std::printf("ratio = PyTorch time / our time (> 1: ours is faster)\n");
  if (has_flag(argc, argv, "--profile")) profile(weights, size, repeats);
  return 0;
}

// Convolution and image ops: finite-difference checks (float64) for every configuration the
// model uses, small cases a reader can check with pencil and paper, and shape errors.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "autograd/functions.h"
#include "test_util.h"

using namespace uniad;
using namespace uniad::ag;
using test::expect_gradcheck;
using test::randn;
using test::randu;

namespace {

Conv2dOptions padded(int64_t top, int64_t bottom, int64_t left, int64_t right) {
  Conv2dOptions o;
  o.pad_top = top, o.pad_bottom = bottom, o.pad_left = left, o.pad_right = right;
  return o;
}

// TensorFlow's "SAME" padding: out = ceil(in / stride); the padding that needs is split with the
// odd pixel at the end (bottom or right), which PyTorch's symmetric padding cannot express.
std::pair<int64_t, int64_t> tf_same_padding(int64_t in, int64_t kernel, int64_t stride) {
  const int64_t out = (in + stride - 1) / stride;
  const int64_t total = std::max<int64_t>((out - 1) * stride + kernel - in, 0);
  return {total / 2, total - total / 2};
}

Tensor tensor(std::vector<double> values, Shape shape) { return Tensor::from_vector(values, shape, DType::Float64); }

}  // namespace

TEST_CASE("gradcheck: conv2d plain, strided, asymmetric padding, dilated") {
  expect_gradcheck("conv2d 3x3 pad 1 with bias",
                   [](auto v) { return conv2d(v[0], v[1], v[2], Conv2dOptions::symmetric(1, 1)); },
                   {randn({2, 3, 5, 5}, 40), randn({4, 3, 3, 3}, 41), randn({4}, 42)});
  expect_gradcheck("conv2d stride 2 non-square",
                   [](auto v) { return conv2d(v[0], v[1], Variable(), Conv2dOptions::symmetric(2, 1)); },
                   {randn({1, 2, 6, 5}, 43), randn({3, 2, 3, 3}, 44)});
  expect_gradcheck("conv2d pad top 0 bottom 1 left 2 right 1, 3x2 kernel",
                   [](auto v) { return conv2d(v[0], v[1], v[2], padded(0, 1, 2, 1)); },
                   {randn({1, 2, 4, 5}, 45), randn({2, 2, 3, 2}, 46), randn({2}, 47)});
  Conv2dOptions dilated = Conv2dOptions::symmetric(1, 2, 2);
  expect_gradcheck("conv2d dilation 2 pad 2", [dilated](auto v) { return conv2d(v[0], v[1], Variable(), dilated); },
                   {randn({1, 2, 7, 6}, 48), randn({2, 2, 3, 3}, 49)});
  Conv2dOptions mixed = padded(1, 0, 0, 2);
  mixed.stride_h = 2, mixed.dilation_w = 2;
  expect_gradcheck("conv2d stride (2,1) dilation (1,2) asymmetric",
                   [mixed](auto v) { return conv2d(v[0], v[1], v[2], mixed); },
                   {randn({2, 2, 5, 6}, 50), randn({3, 2, 2, 3}, 51), randn({3}, 52)});
}

TEST_CASE("gradcheck: conv2d groups, depthwise, pointwise, non-contiguous input") {
  expect_gradcheck("conv2d groups 2",
                   [](auto v) { return conv2d(v[0], v[1], v[2], Conv2dOptions::symmetric(1, 1, 1, 2)); },
                   {randn({2, 4, 4, 4}, 53), randn({6, 2, 3, 3}, 54), randn({6}, 55)});
  // Depthwise (groups == C == O) runs the direct kernel; TensorFlow-style "same" padding.
  const auto [top, bottom] = tf_same_padding(6, 3, 2);  // (0, 1)
  const auto [left, right] = tf_same_padding(5, 3, 2);  // (1, 1)
  Conv2dOptions same = padded(top, bottom, left, right);
  same.stride_h = same.stride_w = 2, same.groups = 3;
  expect_gradcheck("conv2d depthwise stride 2 TF-same padding",
                   [same](auto v) { return conv2d(v[0], v[1], v[2], same); },
                   {randn({2, 3, 6, 5}, 56), randn({3, 1, 3, 3}, 57), randn({3}, 58)});
  // groups == C but O == 2C: a channel multiplier, which goes through im2col.
  expect_gradcheck("conv2d groups == C with 2 filters per channel",
                   [](auto v) { return conv2d(v[0], v[1], Variable(), Conv2dOptions::symmetric(1, 1, 1, 2)); },
                   {randn({1, 2, 4, 4}, 59), randn({4, 1, 3, 3}, 60)});
  expect_gradcheck("conv2d 1x1 pointwise, groups 2",
                   [](auto v) { return conv2d(v[0], v[1], v[2], Conv2dOptions::symmetric(1, 0, 1, 2)); },
                   {randn({2, 4, 3, 3}, 61), randn({6, 2, 1, 1}, 62), randn({6}, 63)});
  // Input stored NHWC and permuted to NCHW, weight stored [kH, kW, C, O] and permuted.
  expect_gradcheck(
      "conv2d permuted input and weight",
      [](auto v) {
        return conv2d(permute(v[0], {0, 3, 1, 2}), permute(v[1], {3, 2, 0, 1}), v[2], Conv2dOptions::symmetric(1, 1));
      },
      {randn({2, 4, 5, 3}, 64), randn({3, 3, 3, 2}, 65), randn({2}, 66)});
  expect_gradcheck("conv2d depthwise on a permuted input",
                   [](auto v) {
                     return conv2d(permute(v[0], {0, 3, 1, 2}), v[1], Variable(), Conv2dOptions::symmetric(1, 1, 1, 3));
                   },
                   {randn({1, 4, 4, 3}, 67), randn({3, 1, 3, 3}, 68)});
}

TEST_CASE("gradcheck: batch_norm_inference reaches x, weight and bias") {
  const Tensor mean = randn({3}, 70), var = randu({3}, 0.5, 2.0, 71);
  expect_gradcheck("batch_norm_inference",
                   [mean, var](auto v) { return batch_norm_inference(v[0], mean, var, v[1], v[2], 1e-5); },
                   {randn({2, 3, 2, 3}, 72), randn({3}, 73), randn({3}, 74)});
  expect_gradcheck("batch_norm_inference without affine",
                   [mean, var](auto v) { return batch_norm_inference(v[0], mean, var, Variable(), Variable(), 1e-3); },
                   {randn({1, 3, 2, 2}, 75)});
}

TEST_CASE("gradcheck: avg_pool2d and adaptive_avg_pool2d") {
  expect_gradcheck("avg_pool2d 3x2 stride 2x1 (overlapping)", [](auto v) { return avg_pool2d(v[0], 3, 2, 2, 1); },
                   {randn({2, 2, 5, 6}, 80)});
  expect_gradcheck("avg_pool2d 2x2 stride 2", [](auto v) { return avg_pool2d(v[0], 2, 2, 2, 2); },
                   {randn({1, 2, 4, 5}, 81)});
  expect_gradcheck("adaptive_avg_pool2d 7x5 -> 3x2", [](auto v) { return adaptive_avg_pool2d(v[0], 3, 2); },
                   {randn({2, 2, 7, 5}, 82)});
  expect_gradcheck("adaptive_avg_pool2d 3x4 -> 5x6 (upsampling)",
                   [](auto v) { return adaptive_avg_pool2d(v[0], 5, 6); }, {randn({1, 2, 3, 4}, 83)});
  expect_gradcheck("adaptive_avg_pool2d of a permuted input",
                   [](auto v) {
                     return adaptive_avg_pool2d(permute(v[0], {0, 3, 1, 2}), 2, 3);
                   },
                   {randn({1, 5, 7, 2}, 84)});
}

TEST_CASE("gradcheck: resize_bilinear up and down, both align_corners modes") {
  for (const bool align : {false, true}) {
    const std::string mode = align ? " align_corners" : " half-pixel";
    expect_gradcheck("resize 3x4 -> 5x7" + mode, [align](auto v) { return resize_bilinear(v[0], 5, 7, align); },
                     {randn({1, 2, 3, 4}, 90)});
    expect_gradcheck("resize 6x5 -> 4x2" + mode, [align](auto v) { return resize_bilinear(v[0], 4, 2, align); },
                     {randn({2, 1, 6, 5}, 91)});
    expect_gradcheck("resize 4x3 -> 1x8" + mode, [align](auto v) { return resize_bilinear(v[0], 1, 8, align); },
                     {randn({1, 1, 4, 3}, 92)});
    expect_gradcheck("resize transposed 4x5 -> 7x3" + mode,
                     [align](auto v) { return resize_bilinear(transpose(v[0], 2, 3), 7, 3, align); },
                     {randn({1, 2, 5, 4}, 93)});
  }
}

TEST_CASE("hand-computed: conv2d on a 3x3 image") {
  // x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]], w = [[1, 2], [3, 4]], bias -7, no padding:
  //   y[0][0] = 1*1 + 2*2 + 3*4 + 4*5 - 7 = 30, and each step right adds 10, each step down 30.
  const Tensor x = tensor({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  Variable w(tensor({1, 2, 3, 4}, {1, 1, 2, 2}), true);
  Variable y = conv2d(Variable(x), w, Variable(tensor({-7}, {1})), Conv2dOptions{});
  CHECK(y.data().to_vector() == std::vector<double>{30, 40, 60, 70});
  // dL/dw for L = sum(y) is the sum of each tap's 2x2 input window: [[1+2+4+5, 2+3+5+6], [4+5+7+8, 5+6+8+9]].
  sum(y).backward();
  CHECK(w.grad().to_vector() == std::vector<double>{12, 16, 24, 28});
  // With the weight frozen, dL/dx[i][j] sums the filter entries that touched pixel (i, j):
  // a corner is touched by one entry, an edge by two, the centre by all four.
  Variable x_var(x, true);
  sum(conv2d(x_var, Variable(w.data()), Variable(), Conv2dOptions{})).backward();
  CHECK(x_var.grad().to_vector() == std::vector<double>{1, 3, 2, 4, 10, 6, 3, 7, 4});
  // A 2x2 box filter with stride 2 and padding 1 sees the corner, then pairs, then a 2x2 block:
  //   [[1, 2+3], [4+7, 5+6+8+9]]
  const Tensor box = Tensor::ones({1, 1, 2, 2}, DType::Float64);
  CHECK(conv2d(Variable(x), Variable(box), Variable(), Conv2dOptions::symmetric(2, 1)).data().to_vector() ==
        std::vector<double>{1, 5, 11, 28});
}

TEST_CASE("hand-computed: batch_norm_inference is (x - mean) / sqrt(var + eps) * weight + bias") {
  // Channel 0: mean 2, std 2, weight 1, bias 0.  Channel 1: mean 10, std 5, weight 2, bias 1.
  const Variable x(tensor({1, 3, 10, 20}, {1, 2, 1, 2}));
  const Variable y = batch_norm_inference(x, tensor({2, 10}, {2}), tensor({4, 25}, {2}), Variable(tensor({1, 2}, {2})),
                                          Variable(tensor({0, 1}, {2})), 0.0);
  const std::vector<double> expected{-0.5, 0.5, 1, 5};
  const auto got = y.data().to_vector();
  for (size_t i = 0; i < expected.size(); ++i) CHECK(got[i] == doctest::Approx(expected[i]));
}

TEST_CASE("hand-computed: average pools and bilinear resize") {
  const Variable x(tensor({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3}));
  // 2x2 windows at stride 1: the means of [1,2,4,5], [2,3,5,6], [4,5,7,8], [5,6,8,9].
  CHECK(avg_pool2d(x, 2, 2, 1, 1).data().to_vector() == std::vector<double>{3, 4, 6, 7});
  // Adaptive 3 -> 2 uses bins [0, 2) and [1, 3): the same overlapping windows.
  CHECK(adaptive_avg_pool2d(x, 2, 2).data().to_vector() == std::vector<double>{3, 4, 6, 7});
  // Adaptive 5 -> 3 on [1, 2, 3, 4, 5]: bins [0, 2), [1, 4), [3, 5) give 1.5, 3, 4.5.
  const Variable row(tensor({1, 2, 3, 4, 5}, {1, 1, 1, 5}));
  CHECK(adaptive_avg_pool2d(row, 1, 3).data().to_vector() == std::vector<double>{1.5, 3, 4.5});

  // On a ramp x[i] = i the output is the source coordinate itself. 2 -> 4, half-pixel:
  // src = (d + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (the last input repeats).
  const Variable ramp2(tensor({0, 4}, {1, 1, 1, 2}));
  CHECK(resize_bilinear(ramp2, 1, 4, false).data().to_vector() == std::vector<double>{0, 1, 3, 4});
  // align_corners: src = d * (2 - 1) / (4 - 1) puts the end samples on the end inputs.
  const auto corners = resize_bilinear(ramp2, 1, 4, true).data().to_vector();
  CHECK(corners[1] == doctest::Approx(4.0 / 3));
  CHECK(corners[2] == doctest::Approx(8.0 / 3));
  CHECK(corners[3] == 4);
  // 5 -> 3, half-pixel: src = (d + 0.5) * 5/3 - 0.5 = 1/3, 2, 11/3.
  const auto down = resize_bilinear(Variable(tensor({0, 1, 2, 3, 4}, {1, 1, 1, 5})), 1, 3, false).data().to_vector();
  CHECK(down[0] == doctest::Approx(1.0 / 3));
  CHECK(down[1] == doctest::Approx(2));
  CHECK(down[2] == doctest::Approx(11.0 / 3));
  // Down to one pixel: align_corners takes the first input, half-pixel the centre.
  const Variable ramp4(tensor({0, 1, 2, 3}, {1, 1, 1, 4}));
  CHECK(resize_bilinear(ramp4, 1, 1, true).item() == 0);
  CHECK(resize_bilinear(ramp4, 1, 1, false).item() == 1.5);
}

TEST_CASE("conv2d, pool and resize shape errors name the op and the shapes") {
  const Variable x(Tensor::zeros({2, 3, 8, 8}, DType::Float64));
  const Variable w(Tensor::zeros({4, 2, 3, 3}, DType::Float64));
  CHECK_THROWS_WITH_AS(conv2d(x, w, Variable(), Conv2dOptions{}),
                       "conv2d: input [2, 3, 8, 8] has 3 channels, weight [4, 2, 3, 3] with groups 1 expects 2", Error);
  const Variable x4(Tensor::zeros({1, 4, 5, 5}, DType::Float64)), w_odd(Tensor::zeros({3, 2, 3, 3}, DType::Float64));
  CHECK_THROWS_WITH_AS(conv2d(x4, w_odd, Variable(), Conv2dOptions::symmetric(1, 0, 1, 2)),
                       "conv2d: weight [3, 2, 3, 3] has 3 output channels, not divisible by groups 2", Error);
  const Variable w3(Tensor::zeros({4, 3, 3, 3}, DType::Float64));
  CHECK_THROWS_WITH_AS(conv2d(x, w3, Variable(Tensor::zeros({3}, DType::Float64)), Conv2dOptions{}),
                       "conv2d: bias [3] does not match weight [4, 3, 3, 3] (expected [O])", Error);
  const Variable small(Tensor::zeros({1, 3, 2, 2}, DType::Float64));
  CHECK_THROWS_WITH_AS(conv2d(small, w3, Variable(), Conv2dOptions::symmetric(1, 0, 2)),
                       "conv2d: input [1, 3, 2, 2] padded to 2x2 is smaller than the dilated kernel 5x5 of weight "
                       "[4, 3, 3, 3]",
                       Error);
  CHECK_THROWS_WITH_AS(conv2d(Variable(Tensor::zeros({3, 8, 8}, DType::Float64)), w3, Variable(), Conv2dOptions{}),
                       "conv2d: input must be [N, C, H, W], got [3, 8, 8]", Error);
  CHECK_THROWS_WITH_AS(conv2d(x, w3, Variable(), Conv2dOptions::symmetric(0, 1)),
                       "conv2d: stride (0, 0), dilation (1, 1) and groups 1 must be positive", Error);
  CHECK_THROWS_WITH_AS(avg_pool2d(small, 3, 3, 1, 1),
                       "avg_pool2d: kernel 3x3 does not fit input [1, 3, 2, 2] (no padding)", Error);
  CHECK_THROWS_WITH_AS(adaptive_avg_pool2d(small, 0, 3), "adaptive_avg_pool2d: output size 0x3 must be positive",
                       Error);
  CHECK_THROWS_WITH_AS(resize_bilinear(Variable(Tensor::zeros({4, 4}, DType::Float64)), 2, 2, false),
                       "resize_bilinear: input must be [N, C, H, W], got [4, 4]", Error);
  CHECK_THROWS_WITH_AS(batch_norm_inference(x, Tensor::zeros({3}, DType::Float64), Tensor::ones({4}, DType::Float64),
                                            Variable(), Variable(), 1e-5),
                       "batch_norm_inference: running_var [4] for input [2, 3, 8, 8] (expected [3])", Error);
}

// Golden comparisons against PyTorch (see golden_util.h): conv2d (bias, stride, asymmetric
// padding, dilation, groups, depthwise) and bilinear resize (up and down, both corner modes).
#include "golden_util.h"

using namespace uniad;
using namespace uniad::ag;
using test::GoldenCase;
using test::run_golden_family;

TEST_CASE("golden: conv2d (stride, asymmetric padding, dilation, groups, depthwise)") {
  run_golden_family("conv2d", [](GoldenCase& c) {
    Conv2dOptions opt;
    opt.stride_h = c.param_int("stride_h");
    opt.stride_w = c.param_int("stride_w");
    // The fixture pads with F.pad before an unpadded conv; our conv2d takes the four pads itself.
    opt.pad_top = c.param_int("pad_top");
    opt.pad_bottom = c.param_int("pad_bottom");
    opt.pad_left = c.param_int("pad_left");
    opt.pad_right = c.param_int("pad_right");
    opt.dilation_h = c.param_int("dilation_h");
    opt.dilation_w = c.param_int("dilation_w");
    opt.groups = c.param_int("groups");
    const Variable x = c.input("x"), weight = c.input("weight");
    const Variable bias = c.param_int("has_bias") ? c.input("bias") : Variable();
    return conv2d(x, weight, bias, opt);
  });
}

TEST_CASE("golden: resize_bilinear (up and down, align_corners true and false)") {
  run_golden_family("resize_bilinear", [](GoldenCase& c) {
    return resize_bilinear(c.input("x"), c.param_int("out_h"), c.param_int("out_w"), c.param_int("align_corners") != 0);
  });
}

// Convolution, pooling and resize kernels at sizes large enough to take the threaded paths:
//   - the im2col + GEMM and depthwise forward kernels against the direct reference,
//   - every backward kernel against its forward through the dot-product (adjoint) test:
//     for a linear map y = A x, <A x, dy> must equal <x, A^T dy> for any x and dy,
//   - float32 results against float64 ones.
#include <string>
#include <vector>

#include "tensor/conv2d.h"
#include "tensor/elementwise.h"
#include "tensor/pool.h"
#include "tensor/reduce.h"
#include "tensor/resize.h"
#include "test_util.h"

using namespace uniad;
using test::check_close;
using test::randn;

namespace {

struct ConvCase {
  std::string name;
  Shape x, w;  // [N, C, H, W], [O, C/G, kH, kW]
  ops::Conv2dParams p;
};

// Params in ops::Conv2dParams order: stride h w, pad top bottom left right, dilation h w, groups.
const std::vector<ConvCase> kConvCases = {
    {"3x3 pad 1, batch 4 (images in parallel)", {4, 8, 16, 16}, {16, 8, 3, 3}, {1, 1, 1, 1, 1, 1, 1, 1, 1}},
    {"one image (Eigen threads the GEMM)", {1, 16, 20, 20}, {32, 16, 3, 3}, {1, 1, 1, 1, 1, 1, 1, 1, 1}},
    {"stride (2,1), pad (0,1,2,1), dilation (1,2)", {2, 3, 9, 7}, {5, 3, 3, 2}, {2, 1, 0, 1, 2, 1, 1, 2, 1}},
    {"groups 2", {2, 4, 6, 6}, {6, 2, 3, 3}, {1, 1, 1, 1, 1, 1, 1, 1, 2}},
    {"pointwise 1x1", {3, 8, 5, 5}, {4, 8, 1, 1}, {1, 1, 0, 0, 0, 0, 1, 1, 1}},
    {"pointwise 1x1 stride 2", {3, 8, 5, 5}, {4, 8, 1, 1}, {2, 2, 0, 0, 0, 0, 1, 1, 1}},
    {"depthwise 5x5 stride 2 TF-same (threaded)", {4, 16, 12, 12}, {16, 1, 5, 5}, {2, 2, 1, 2, 1, 2, 1, 1, 16}},
    {"depthwise dilation 2", {1, 3, 7, 7}, {3, 1, 3, 3}, {1, 1, 2, 2, 2, 2, 2, 2, 3}},
    {"groups == C, 2 filters per channel", {2, 3, 6, 6}, {6, 1, 3, 3}, {1, 1, 1, 1, 1, 1, 1, 1, 3}},
    // Padding wider than the kernel: whole output rows and columns see only zeros.
    {"1x1 kernel, pad (2,1,0,3)", {2, 3, 3, 4}, {4, 3, 1, 1}, {1, 1, 2, 1, 0, 3, 1, 1, 1}},
    {"depthwise 2x2 stride 2, pad 3", {1, 2, 3, 3}, {2, 1, 2, 2}, {2, 2, 3, 3, 3, 3, 1, 1, 2}},
};

double dot(const Tensor& a, const Tensor& b) { return ops::sum(ops::mul(a, b)).item(); }

// |a - b| relative to the size of the terms that were summed.
void check_dot(const std::string& what, double got, double expected, double scale) {
  const double rel = std::abs(got - expected) / scale;
  std::printf("[adjoint] %-48s rel diff = %.3e\n", what.c_str(), rel);
  CHECK_MESSAGE(rel < 1e-12, what, ": ", got, " vs ", expected);
}

}  // namespace

TEST_CASE("conv2d kernels match the direct reference, float64 and float32") {
  for (const ConvCase& c : kConvCases) {
    const Tensor x = randn(c.x, 100), w = randn(c.w, 101), b = randn({c.w[0]}, 102);
    check_close("conv2d f64 " + c.name, ops::conv2d(x, w, b, c.p), ops::conv2d_reference(x, w, b, c.p), 1e-12, 1e-12);
    const Tensor x32 = x.to(DType::Float32), w32 = w.to(DType::Float32), b32 = b.to(DType::Float32);
    check_close("conv2d f32 " + c.name, ops::conv2d(x32, w32, Tensor(), c.p).to(DType::Float64),
                ops::conv2d_reference(x, w, Tensor(), c.p), 1e-4, 1e-4);
  }
}

TEST_CASE("conv2d backward kernels are the adjoints of the forward") {
  for (const ConvCase& c : kConvCases) {
    const Tensor x = randn(c.x, 110), w = randn(c.w, 111);
    const Tensor y = ops::conv2d(x, w, Tensor(), c.p);
    const Tensor dy = randn(y.shape(), 112);
    const Tensor dx = ops::conv2d_backward_input(dy, w, c.x, c.p);
    const Tensor dw = ops::conv2d_backward_weight(dy, x, c.w, c.p);
    const double lhs = dot(y, dy), scale = ops::sum(ops::unary(ops::UnaryOp::Abs, ops::mul(y, dy))).item();
    check_dot("<conv(x), dy> = <x, dx>  " + c.name, dot(x, dx), lhs, scale);
    check_dot("<conv(x), dy> = <w, dw>  " + c.name, dot(w, dw), lhs, scale);
    // The float32 backward kernels agree with the float64 ones.
    const Tensor dy32 = dy.to(DType::Float32);
    check_close("conv2d dx f32 " + c.name,
                ops::conv2d_backward_input(dy32, w.to(DType::Float32), c.x, c.p).to(DType::Float64), dx, 1e-4, 1e-4);
    check_close("conv2d dw f32 " + c.name,
                ops::conv2d_backward_weight(dy32, x.to(DType::Float32), c.w, c.p).to(DType::Float64), dw, 1e-3, 1e-4);
  }
}

TEST_CASE("avg pools and bilinear resize: backward kernels are adjoints, float32 matches float64") {
  const Shape shape{4, 8, 17, 15};  // [N, C, H, W], large enough to run threaded
  const Tensor x = randn(shape, 120);
  struct Op {
    std::string name;
    Tensor (*forward)(const Tensor&);
    Tensor (*backward)(const Tensor&, const Shape&);
  };
  const std::vector<Op> image_ops = {
      {"avg_pool2d 3x3 stride 2", [](const Tensor& t) { return ops::avg_pool2d(t, 3, 3, 2, 2); },
       [](const Tensor& g, const Shape& s) { return ops::avg_pool2d_backward(g, s, 3, 3, 2, 2); }},
      {"adaptive_avg_pool2d -> 5x4", [](const Tensor& t) { return ops::adaptive_avg_pool2d(t, 5, 4); },
       [](const Tensor& g, const Shape& s) { return ops::adaptive_avg_pool2d_backward(g, s); }},
      {"resize -> 33x23 half-pixel", [](const Tensor& t) { return ops::resize_bilinear(t, 33, 23, false); },
       [](const Tensor& g, const Shape& s) { return ops::resize_bilinear_backward(g, s, false); }},
      {"resize -> 33x23 align_corners", [](const Tensor& t) { return ops::resize_bilinear(t, 33, 23, true); },
       [](const Tensor& g, const Shape& s) { return ops::resize_bilinear_backward(g, s, true); }},
      {"resize -> 6x4 half-pixel", [](const Tensor& t) { return ops::resize_bilinear(t, 6, 4, false); },
       [](const Tensor& g, const Shape& s) { return ops::resize_bilinear_backward(g, s, false); }},
      {"resize -> 6x4 align_corners", [](const Tensor& t) { return ops::resize_bilinear(t, 6, 4, true); },
       [](const Tensor& g, const Shape& s) { return ops::resize_bilinear_backward(g, s, true); }},
  };
  for (const Op& op : image_ops) {
    const Tensor y = op.forward(x);
    const Tensor dy = randn(y.shape(), 121);
    const Tensor dx = op.backward(dy, shape);
    const double scale = ops::sum(ops::unary(ops::UnaryOp::Abs, ops::mul(y, dy))).item();
    check_dot("<op(x), dy> = <x, dx>  " + op.name, dot(x, dx), dot(y, dy), scale);
    check_close(op.name + " f32 forward", op.forward(x.to(DType::Float32)).to(DType::Float64), y, 1e-5, 1e-5);
    check_close(op.name + " f32 backward", op.backward(dy.to(DType::Float32), shape).to(DType::Float64), dx, 1e-5,
                1e-5);
  }
}

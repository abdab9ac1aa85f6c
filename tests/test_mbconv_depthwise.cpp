// The depthwise forward kernel (tensor/conv2d_depthwise.cpp: phase-split scratch plane, register
// blocks of rows x columns) against the direct reference over the geometries its blocking
// distinguishes: output widths around the 8 / 16 / 32-column blocks and their tails, leftover
// rows, strides 1-3, kernels 1-7, dilation, asymmetric padding wider than the kernel.
#include <string>

#include "tensor/conv2d.h"
#include "test_util.h"

using namespace uniad;

namespace {

struct DwCase {
  int64_t H, W, k, stride, dilation, top, bottom, left, right;
};

std::string name_of(const DwCase& c) {
  return cat("dw ", c.H, "x", c.W, " k", c.k, " s", c.stride, " d", c.dilation, " pad ", c.top, ",", c.bottom, ",",
             c.left, ",", c.right);
}

}  // namespace

TEST_CASE("mbconv depthwise: blocked kernel matches the reference over widths, strides, kernels and padding") {
  const DwCase cases[] = {
      {112, 112, 3, 1, 1, 1, 1, 1, 1}, {112, 112, 3, 2, 1, 0, 1, 0, 1}, {14, 14, 3, 1, 1, 1, 1, 1, 1},
      {14, 14, 3, 2, 1, 0, 1, 0, 1},   {7, 7, 3, 2, 1, 1, 1, 1, 1},     {15, 33, 5, 2, 1, 2, 2, 1, 2},
      {9, 17, 5, 1, 1, 2, 2, 2, 2},    {5, 8, 3, 1, 1, 1, 1, 1, 1},     {1, 1, 3, 1, 1, 1, 1, 1, 1},
      {6, 40, 7, 3, 1, 3, 3, 3, 3},    {11, 65, 3, 1, 2, 2, 2, 2, 2},   {10, 31, 1, 1, 1, 0, 0, 0, 0},
      {4, 5, 2, 2, 1, 3, 3, 3, 3},     {13, 9, 3, 2, 2, 0, 4, 5, 0},    {23, 47, 5, 2, 1, 1, 2, 1, 2},
      {3, 100, 3, 1, 1, 0, 0, 4, 0},
  };
  for (const DwCase& c : cases) {
    const int64_t C = 3;
    ops::Conv2dParams p;
    p.stride_h = p.stride_w = c.stride;
    p.dilation_h = p.dilation_w = c.dilation;
    p.pad_top = c.top, p.pad_bottom = c.bottom, p.pad_left = c.left, p.pad_right = c.right;
    p.groups = C;
    const Tensor x = test::randn({2, C, c.H, c.W}, 40), w = test::randn({C, 1, c.k, c.k}, 41), b = test::randn({C}, 42);
    test::check_close(name_of(c) + " f64", ops::conv2d(x, w, b, p), ops::conv2d_reference(x, w, b, p), 1e-12, 1e-12);
    const Tensor x32 = x.to(DType::Float32), w32 = w.to(DType::Float32);
    test::check_close(name_of(c) + " f32", ops::conv2d(x32, w32, Tensor(), p).to(DType::Float64),
                      ops::conv2d_reference(x, w, Tensor(), p), 1e-5, 1e-5);
  }
}

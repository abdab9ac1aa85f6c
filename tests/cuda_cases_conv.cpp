// CPU-vs-GPU cases for the image ops: conv2d (im2col + GEMM, the pointwise shortcut, depthwise
// kernels), average pooling (sliding and adaptive windows) and bilinear resize, each forward
// and backward through autograd.
//
// Tolerances: conv2d's longest sums are the weight gradient's (N * Ho * Wo terms, up to 1568
// here), so float32 gets 1e-4; pooling adds a few dozen terms per element (and sums forward in
// double on both devices), 1e-5. Resize's gradient to a 14x14 map upsampled to 224x224 gathers
// 16x16 outputs per input, so resize gets 1e-4 too.
#include "cuda_cases.h"
#include "tensor/conv2d.h"

namespace uniad::test {
namespace {

const char* dtype_suffix(DType dtype) { return dtype == DType::Float64 ? " f64" : " f32"; }

ag::Conv2dOptions conv_options(int64_t stride, int64_t pad, int64_t dilation = 1, int64_t groups = 1) {
  return ag::Conv2dOptions::symmetric(stride, pad, dilation, groups);
}

// y = conv2d(x, w, b) (b omitted when `bias` is false), with dx, dw (and db).
CudaCase conv_case(const std::string& name, const Shape& x, const Shape& w, const ag::Conv2dOptions& opt, bool bias,
                   DType dtype) {
  const double tol = dtype == DType::Float64 ? 1e-11 : 1e-4;
  return {"conv2d " + name + " x " + shape_str(x) + " w " + shape_str(w) + (bias ? " bias" : "") + dtype_suffix(dtype),
          tol, tol, ops::MatmulPrecision::Float32, [x, w, opt, bias, dtype](Device d) {
            std::vector<Tensor> inputs{case_input(x, 41, dtype), case_input(w, 42, dtype)};
            if (bias) inputs.push_back(case_input({w[0]}, 43, dtype));
            return forward_backward(d, inputs, [opt](const std::vector<ag::Variable>& v) {
              return ag::conv2d(v[0], v[1], v.size() > 2 ? v[2] : ag::Variable(), opt);
            });
          }};
}

RegisterCudaCases conv_cases([](std::vector<CudaCase>& t) {
  for (DType dt : {DType::Float32, DType::Float64}) {
    t.push_back(conv_case("3x3 stride 1 pad 1", {2, 3, 9, 11}, {5, 3, 3, 3}, conv_options(1, 1), true, dt));
    t.push_back(conv_case("groups 2", {2, 6, 8, 7}, {4, 3, 3, 3}, conv_options(1, 1, 1, 2), true, dt));
    t.push_back(conv_case("depthwise 3x3", {2, 8, 9, 9}, {8, 1, 3, 3}, conv_options(1, 1, 1, 8), true, dt));
    t.push_back(conv_case("depthwise 5x5 stride 2", {2, 7, 15, 14}, {7, 1, 5, 5}, conv_options(2, 2, 1, 7), false, dt));
    t.push_back(conv_case("1x1", {2, 16, 7, 7}, {33, 16, 1, 1}, conv_options(1, 0), true, dt));
  }
  const DType f32 = DType::Float32;
  t.push_back(conv_case("3x3 stride 2 pad 1", {2, 4, 13, 10}, {6, 4, 3, 3}, conv_options(2, 1), false, f32));
  t.push_back(conv_case("3x2 asymmetric pad (t0 b2 l1 r0)", {2, 3, 7, 6}, {4, 3, 3, 2}, {1, 1, 0, 2, 1, 0, 1, 1, 1},
                        true, f32));
  t.push_back(conv_case("dilation 2 pad 2", {1, 3, 12, 12}, {4, 3, 3, 3}, conv_options(1, 2, 2), false, f32));
  t.push_back(conv_case("stride (2, 1) dilation (1, 3)", {2, 2, 11, 13}, {3, 2, 3, 3}, {2, 1, 1, 1, 3, 3, 1, 3, 1},
                        true, f32));
  t.push_back(conv_case("1x1 stride 2 (unrolled)", {1, 5, 9, 9}, {3, 5, 1, 1}, conv_options(2, 0), false, f32));
  t.push_back(conv_case("groups 4 stride 2", {1, 8, 10, 9}, {12, 2, 3, 3}, conv_options(2, 1, 1, 4), true, f32));
  t.push_back(conv_case("one pixel", {1, 1, 1, 1}, {1, 1, 1, 1}, conv_options(1, 0), true, f32));
  t.push_back(conv_case("empty batch", {0, 3, 5, 5}, {4, 3, 3, 3}, conv_options(1, 1), true, f32));
  // The backbone's shapes: an MBConv depthwise stage and its pointwise projection.
  t.push_back(conv_case("depthwise backbone", {2, 144, 28, 28}, {144, 1, 3, 3}, conv_options(1, 1, 1, 144), false,
                        f32));
  t.push_back(conv_case("pointwise backbone", {2, 144, 28, 28}, {56, 144, 1, 1}, conv_options(1, 0), false, f32));
  // A strided view as input (the kernels make it contiguous on the device).
  t.push_back({"conv2d input from a permuted view [2, 9, 8, 3] -> [2, 3, 9, 8]", 1e-4, 1e-4, {}, [](Device d) {
                 const Tensor x = case_input({2, 9, 8, 3}, 44).to(d).permute({0, 3, 1, 2});
                 const Tensor w = case_input({4, 3, 3, 3}, 45).to(d);
                 return NamedResults{{"y", ops::conv2d(x, w, Tensor(), {1, 1, 1, 1, 1, 1, 1, 1, 1})}};
               }});
});

// ---- pooling --------------------------------------------------------------------------------

CudaCase pool_case(const std::string& name, const Shape& x, DType dtype,
                   const std::function<ag::Variable(const ag::Variable&)>& f) {
  const double tol = dtype == DType::Float64 ? 1e-12 : 1e-5;
  return {name + " " + shape_str(x) + dtype_suffix(dtype), tol, tol, {}, [x, dtype, f](Device d) {
            return forward_backward(d, {case_input(x, 51, dtype)},
                                    [f](const std::vector<ag::Variable>& v) { return f(v[0]); });
          }};
}

RegisterCudaCases pool_cases([](std::vector<CudaCase>& t) {
  for (DType dt : {DType::Float32, DType::Float64}) {
    t.push_back(pool_case("avg_pool2d 2x2 stride 2 (last column unread)", {2, 3, 8, 9}, dt,
                          [](const ag::Variable& x) { return ag::avg_pool2d(x, 2, 2, 2, 2); }));
    t.push_back(pool_case("adaptive_avg_pool2d 7x7 -> 3x3 (overlapping)", {2, 3, 7, 7}, dt,
                          [](const ag::Variable& x) { return ag::adaptive_avg_pool2d(x, 3, 3); }));
  }
  const DType f32 = DType::Float32;
  t.push_back(pool_case("avg_pool2d 3x3 stride 1 (overlapping)", {1, 2, 7, 7}, f32,
                        [](const ag::Variable& x) { return ag::avg_pool2d(x, 3, 3, 1, 1); }));
  t.push_back(pool_case("avg_pool2d 3x2 stride (2, 3)", {2, 5, 11, 13}, f32,
                        [](const ag::Variable& x) { return ag::avg_pool2d(x, 3, 2, 2, 3); }));
  t.push_back(pool_case("adaptive_avg_pool2d 5x9 -> 3x4", {2, 3, 5, 9}, f32,
                        [](const ag::Variable& x) { return ag::adaptive_avg_pool2d(x, 3, 4); }));
  t.push_back(pool_case("adaptive_avg_pool2d 4x4 -> 7x7 (upsampling windows)", {1, 2, 4, 4}, f32,
                        [](const ag::Variable& x) { return ag::adaptive_avg_pool2d(x, 7, 7); }));
  t.push_back(pool_case("adaptive_avg_pool2d global", {2, 257, 14, 14}, f32,
                        [](const ag::Variable& x) { return ag::adaptive_avg_pool2d(x, 1, 1); }));
  t.push_back(pool_case("avg_pool2d of a transposed view", {2, 3, 9, 6}, f32, [](const ag::Variable& x) {
    return ag::avg_pool2d(ag::transpose(x, 2, 3), 2, 3, 2, 1);
  }));
});

// ---- bilinear resize ------------------------------------------------------------------------

CudaCase resize_case(const Shape& x, int64_t out_h, int64_t out_w, bool align_corners, DType dtype) {
  const double tol = dtype == DType::Float64 ? 1e-12 : 1e-4;
  return {"resize_bilinear " + shape_str(x) + " -> " + std::to_string(out_h) + "x" + std::to_string(out_w) +
              (align_corners ? " align_corners" : "") + dtype_suffix(dtype),
          tol, tol, {}, [=](Device d) {
            return forward_backward(d, {case_input(x, 61, dtype)}, [=](const std::vector<ag::Variable>& v) {
              return ag::resize_bilinear(v[0], out_h, out_w, align_corners);
            });
          }};
}

RegisterCudaCases resize_cases([](std::vector<CudaCase>& t) {
  for (bool align : {false, true}) {
    t.push_back(resize_case({2, 3, 5, 7}, 13, 17, align, DType::Float32));  // up
    t.push_back(resize_case({1, 2, 16, 15}, 5, 4, align, DType::Float32));  // down
    t.push_back(resize_case({1, 2, 6, 9}, 11, 4, align, DType::Float64));   // up one axis, down the other
    t.push_back(resize_case({2, 1, 7, 5}, 1, 1, align, DType::Float32));    // to a single pixel
    t.push_back(resize_case({1, 3, 1, 1}, 4, 3, align, DType::Float32));    // from a single pixel
  }
  t.push_back(resize_case({2, 4, 14, 14}, 224, 224, false, DType::Float32));  // feature map to image size
});

}  // namespace
}  // namespace uniad::test

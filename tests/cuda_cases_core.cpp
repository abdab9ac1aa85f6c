// CPU-vs-GPU cases for the core of the back end: host/device transfers, the strided copy with
// broadcasting and dtype conversion (copy_, contiguous, to(DType), fill_), views read on the GPU.
#include "cuda_cases.h"
#include "tensor/join.h"

namespace uniad::test {
namespace {

NamedResults one(const char* name, const Tensor& t) { return {{name, t}}; }

RegisterCudaCases core_cases([](std::vector<CudaCase>& t) {
  t.push_back({"copy round trip [3, 5] f32", 0, 0, {}, [](Device d) {
                 return one("x", case_input({3, 5}, 1).to(d));
               }});
  t.push_back({"copy round trip [257] f64", 0, 0, {}, [](Device d) {
                 return one("x", case_input({257}, 2, DType::Float64).to(d));
               }});
  t.push_back({"copy contiguous of permute [2, 3, 4] -> [4, 2, 3]", 0, 0, {}, [](Device d) {
                 return one("x", case_input({2, 3, 4}, 3).to(d).permute({2, 0, 1}).contiguous());
               }});
  t.push_back({"copy contiguous of strided slice [9, 7] step 2", 0, 0, {}, [](Device d) {
                 return one("x", case_input({9, 7}, 4).to(d).slice(0, 1, 9, 2).slice(1, 2, 7).contiguous());
               }});
  t.push_back({"copy broadcast [1, 5] -> [4, 5] into a transposed view", 0, 0, {}, [](Device d) {
                 Tensor dst = Tensor::zeros({5, 4}, DType::Float32, d);
                 dst.transpose(0, 1).copy_(case_input({1, 5}, 5).to(d));
                 return one("dst", dst);
               }});
  t.push_back({"copy convert f32 -> f64 -> int64", 0, 0, {}, [](Device d) {
                 const Tensor x = case_input({6, 3}, 6).to(d);
                 return NamedResults{{"f64", x.to(DType::Float64)}, {"i64", x.to(DType::Float64).to(DType::Int64)}};
               }});
  t.push_back({"copy fill_ and set on a view", 0, 0, {}, [](Device d) {
                 Tensor x = Tensor::zeros({4, 4}, DType::Float32, d);
                 x.slice(1, 1, 3).fill_(2.5);
                 x.set({3, 0}, -1.0);
                 return one("x", x);
               }});
  t.push_back({"copy cross-device into a GPU view", 0, 0, {}, [](Device d) {
                 Tensor x = Tensor::zeros({3, 6}, DType::Float64, d);
                 x.slice(1, 0, 6, 2).copy_(case_input({3, 3}, 7, DType::Float64));  // source on the CPU
                 return one("x", x);
               }});
  t.push_back({"copy empty [0, 3]", 0, 0, {}, [](Device d) {
                 return one("x", case_input({0, 3}, 8).to(d).transpose(0, 1).contiguous());
               }});
  t.push_back({"join concat axis 1 and stack axis 0", 0, 0, {}, [](Device d) {
                 const Tensor a = case_input({2, 3}, 9).to(d), b = case_input({2, 5}, 10).to(d);
                 return NamedResults{{"concat", ops::concat({a, b}, 1)}, {"stack", ops::stack({a, a}, 0)}};
               }});
});

}  // namespace
}  // namespace uniad::test

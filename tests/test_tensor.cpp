// Tensor storage, views and copies; random generator determinism; shape errors.
#include "tensor/elementwise.h"
#include "tensor/join.h"
#include "tensor/reduce.h"
#include "tensor/text_file.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include "test_util.h"

using namespace uniad;

TEST_CASE("views share storage and index correctly") {
  Tensor t = Tensor::arange(24).view({2, 3, 4});
  CHECK(t.is_contiguous());
  Tensor p = t.permute({2, 0, 1});  // [4, 2, 3]
  CHECK(p.shape() == Shape{4, 2, 3});
  CHECK(p.shares_storage(t));
  CHECK_FALSE(p.is_contiguous());
  CHECK(p.at({3, 1, 2}) == t.at({1, 2, 3}));
  Tensor s = t.slice(2, 1, 4, 2);  // columns 1 and 3
  CHECK(s.shape() == Shape{2, 3, 2});
  CHECK(s.at({1, 2, 1}) == 23);
  Tensor sel = t.select(1, 2);  // [2, 4]
  CHECK(sel.at({1, 0}) == 20);
  Tensor e = Tensor::arange(3).view({3, 1}).expand({3, 4});
  CHECK(e.strides()[1] == 0);
  CHECK(e.at({2, 3}) == 2);
  Tensor c = p.contiguous();
  CHECK(c.is_contiguous());
  CHECK(c.to_vector() == p.to_vector());
  CHECK(t.unsqueeze(1).shape() == Shape{2, 1, 3, 4});
  CHECK(t.unsqueeze(1).squeeze(1).shape() == t.shape());
  CHECK(t.view({-1, 4}).shape() == Shape{6, 4});
}

TEST_CASE("reshape copies only when it must") {
  Tensor t = Tensor::arange(6).view({2, 3});
  CHECK(t.reshape({3, 2}).shares_storage(t));
  Tensor r = t.transpose(0, 1).reshape({6});
  CHECK_FALSE(r.shares_storage(t));
  CHECK(r.to_vector() == std::vector<double>{0, 3, 1, 4, 2, 5});
}

TEST_CASE("clone, fill, copy_ with broadcasting and dtype conversion") {
  Tensor a = Tensor::zeros({2, 3}, DType::Float64);
  a.copy_(Tensor::from_vector({1, 2, 3}, {3}, DType::Float32));
  CHECK(a.to_vector() == std::vector<double>{1, 2, 3, 1, 2, 3});
  Tensor b = a.clone();
  b.fill_(7);
  CHECK(a.at({0, 0}) == 1);
  CHECK(b.at({1, 2}) == 7);
  CHECK(a.to(DType::Float32).dtype() == DType::Float32);
}

TEST_CASE("generator is deterministic for a seed and its state round-trips") {
  Generator g1(42), g2(42);
  Tensor a = rand_normal({100}, 0, 1, g1);
  Tensor b = rand_normal({100}, 0, 1, g2);
  CHECK(a.to_vector() == b.to_vector());
  const auto state = g1.state();
  const double next = g1.uniform();
  g2.set_state(state);
  CHECK(g2.uniform() == next);
  // Moments of 20k normal draws: mean ~ 0, std ~ 1 (loose bounds, 5 sigma).
  Generator g3(7);
  Tensor big = rand_normal({20000}, 0, 1, g3, DType::Float64);
  CHECK(std::abs(ops::mean(big).item()) < 5.0 / std::sqrt(20000.0));
  CHECK(std::abs(std::sqrt(ops::var(big).item()) - 1.0) < 0.03);
  Tensor u = rand_uniform({20000}, 2, 3, g3, DType::Float64);
  CHECK(ops::max_all(u).item() < 3.0);
  CHECK(-ops::max_all(ops::unary(ops::UnaryOp::Neg, u)).item() >= 2.0);
}

TEST_CASE("shape errors name the op and the shapes") {
  Tensor a = Tensor::zeros({2, 3});
  Tensor b = Tensor::zeros({4, 5});
  CHECK_THROWS_WITH_AS(ops::add(a, b), "add: shapes [2, 3] and [4, 5] do not broadcast", Error);
  CHECK_THROWS_WITH_AS(a.view({5}), "view: [2, 3] has 6 elements, target [5] has 5", Error);
  CHECK_THROWS_WITH_AS(ops::add(a, Tensor::zeros({2, 3}, DType::Float64)),
                       "add: dtypes differ: float32 [2, 3] vs float64 [2, 3]", Error);
  CHECK_THROWS_AS(ops::concat({a, b}, 0), Error);
  CHECK_THROWS_AS(a.permute({0, 0}), Error);
}

TEST_CASE("reductions over axes") {
  Tensor t = Tensor::arange(24, DType::Float64).view({2, 3, 4});
  CHECK(ops::sum(t).item() == 276);
  Tensor s = ops::sum(t, {0, 2});
  CHECK(s.to_vector() == std::vector<double>{60, 92, 124});
  CHECK(ops::mean(t, {-1}, true).shape() == Shape{2, 3, 1});
  auto m = ops::max(t.permute({2, 1, 0}), 2);  // over the original axis 0
  CHECK(m.values.at({3, 2}) == 23);
  CHECK(m.indices.at({3, 2}) == 1);
  CHECK(ops::var(Tensor::from_vector({1, 2, 3, 4}, {4}, DType::Float64), {}, false, 1).item() ==
        doctest::Approx(5.0 / 3.0));
  CHECK(ops::sum_to_shape(Tensor::ones({2, 3, 4}), {3, 1}).to_vector() == std::vector<double>{8, 8, 8});
}

TEST_CASE("text_file: written whole or not at all, errors name the file") {
  test::TempDir dir("text_file");
  const std::string path = dir / "a.json";
  write_text_file_atomically(path, "{}\n");
  write_text_file_atomically(path, "{\"b\": 1}\n");
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text == "{\"b\": 1}\n");
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
  CHECK(test::contains(test::error_of([&] { write_text_file_atomically(dir / "no/such/dir/x.md", "x"); }),
                       "no/such/dir/x.md.tmp: cannot create"));
}

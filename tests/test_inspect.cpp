// uniad inspect (uniad/inspect.h): capturing attention changes no numbers, the captured weights
// are softmax rows that respect the neighbour mask, the learned-query similarity is a proper
// cosine matrix, and the HDF5 file and PNGs hold what the header documents.
#include <cmath>
#include <filesystem>

#include "data/image.h"
#include "tensor/hdf5_io.h"
#include "test_util.h"
#include "uniad/inspect.h"

using namespace uniad;

namespace {

// The brief's tiny model: grid 4 x 4, C = 8, D = 16, 2 heads, one encoder and one decoder layer.
ModelConfig tiny_config(NetworkKind kind = NetworkKind::UniAD, int64_t decoder_layers = 1) {
  ModelConfig c;
  c.network = kind;
  c.feature_channels = 8;
  c.grid_h = 4;
  c.grid_w = 4;
  c.hidden_dim = 16;
  c.heads = 2;
  c.encoder_layers = 1;
  c.decoder_layers = decoder_layers;
  c.ffn_dim = 24;
  c.mask_window = 3;
  return c;
}

Tensor tiny_features(int64_t B, uint64_t seed) { return test::randn({B, 8, 4, 4}, seed, DType::Float32); }

InspectRequest tiny_request(int64_t B) {
  InspectRequest r;
  r.checkpoint = "none.h5";
  r.config_json = "{\"model\": \"tiny\"}";
  for (int64_t b = 0; b < B; ++b) {
    r.images.push_back(10 + b);
    r.image_names.push_back("cls/defect/" + std::to_string(b) + ".png");
    r.labels.push_back(int(b % 2));
  }
  r.image_paths.assign(size_t(B), "/nonexistent/image.png");  // unreadable: the map alone
  r.tokens = {{0, 0}, {2, 1}};
  return r;
}

}  // namespace

TEST_CASE("inspect: forward with attention capture equals forward without, in eval and training mode") {
  const Tensor f = tiny_features(3, 1);
  for (const bool training : {false, true}) {
    // Two models from one seed: their generators (dropout, jitter) run in step.
    Generator g1(7), g2(7);
    ReconstructionModel a(tiny_config(), g1), b(tiny_config(), g2);
    a.train(training);
    b.train(training);
    AttentionObserver observer;
    ag::NoGradGuard no_grad;
    const Tensor plain = a.forward(f).data();
    const Tensor captured = b.forward(f, &observer).data();
    const double diff = test::max_abs_diff(plain, captured);
    MESSAGE("training=", training, ": max |diff| with vs without capture = ", diff);
    CHECK(diff == 0);
    REQUIRE(observer.weights.size() == 3);
    CHECK(observer.weights[0].first == "encoder.layers.0.self_attn");
    CHECK(observer.weights[1].first == "decoder.layers.0.self_attn");
    CHECK(observer.weights[2].first == "decoder.layers.0.multihead_attn");
    for (const auto& [name, w] : observer.weights) CHECK(w.shape() == Shape({3, 2, 16, 16}));
  }
}

TEST_CASE("inspect: every attention row sums to 1 over visible keys and is 0 on keys the neighbour mask hides") {
  Generator gen(3);
  ReconstructionModel model(tiny_config(), gen);
  const Inspection ins = inspect_model(model, tiny_features(2, 2));
  CHECK(model.is_training());  // inspected in eval mode, the model's own flag restored
  REQUIRE(ins.neighbor_mask.shape() == Shape({16, 16}));
  // Window 3 on a 4 x 4 grid: a corner token hides 4 keys, an inner one 9.
  double corner = 0, inner = 0;
  for (int64_t k = 0; k < 16; ++k) {
    corner += ins.neighbor_mask.at({0, k});
    inner += ins.neighbor_mask.at({5, k});
  }
  CHECK(corner == 4);
  CHECK(inner == 9);
  REQUIRE(ins.attention.size() == 3);
  double worst_sum = 0, worst_masked = 0;
  for (const auto& a : ins.attention) {
    CHECK(a.masked);
    const auto w = a.weights.to_vector();  // [B, H, L, S]
    for (int64_t row = 0; row < 2 * 2 * 16; ++row) {
      const int64_t q = row % 16;
      double visible = 0;
      for (int64_t k = 0; k < 16; ++k) {
        const double v = w[size_t(row * 16 + k)];
        if (ins.neighbor_mask.at({q, k}) > 0) worst_masked = std::max(worst_masked, std::abs(v));
        else visible += v;
      }
      worst_sum = std::max(worst_sum, std::abs(visible - 1));
    }
  }
  MESSAGE("largest |row sum - 1| = ", worst_sum, ", largest weight on a hidden key = ", worst_masked);
  CHECK(worst_sum < 1e-5);
  CHECK(worst_masked == 0);
  // The heads and layers are different attentions, not one captured several times.
  CHECK(test::max_abs_diff(ins.attention[0].weights, ins.attention[1].weights) > 1e-3);
  CHECK(test::max_abs_diff(ins.attention[0].weights.select(1, 0), ins.attention[0].weights.select(1, 1)) > 1e-3);
}

TEST_CASE("inspect: learned-query similarity has 1 on the diagonal, is symmetric and matches a direct cosine") {
  Generator gen(5);
  ReconstructionModel model(tiny_config(NetworkKind::UniAD, 2), gen);
  const Inspection ins = inspect_model(model, tiny_features(1, 4));
  REQUIRE(ins.query_layers == std::vector<int64_t>{0, 1});
  const Tensor q = model.decoder_layers()->operator[](1).learned_query().data();  // [L, D]
  double worst_diag = 0, worst_sym = 0, worst_direct = 0;
  const Tensor& s = ins.query_similarity[1];
  REQUIRE(s.shape() == Shape({16, 16}));
  for (int64_t i = 0; i < 16; ++i) {
    worst_diag = std::max(worst_diag, std::abs(s.at({i, i}) - 1));
    for (int64_t j = 0; j < 16; ++j) {
      worst_sym = std::max(worst_sym, std::abs(s.at({i, j}) - s.at({j, i})));
      double ab = 0, aa = 0, bb = 0;
      for (int64_t d = 0; d < 16; ++d) {
        ab += q.at({i, d}) * q.at({j, d});
        aa += q.at({i, d}) * q.at({i, d});
        bb += q.at({j, d}) * q.at({j, d});
      }
      worst_direct = std::max(worst_direct, std::abs(s.at({i, j}) - ab / std::sqrt(aa * bb)));
    }
  }
  MESSAGE("largest |diag - 1| = ", worst_diag, ", |s_ij - s_ji| = ", worst_sym, ", |s - direct cosine| = ",
          worst_direct);
  CHECK(worst_diag == 0);
  CHECK(worst_sym == 0);
  CHECK(worst_direct < 1e-6);
  // Across layers: a layer against itself is 1; two independently drawn N(0, 1) queries are near 0.
  const Tensor& x = ins.query_across_layers;
  REQUIRE(x.shape() == Shape({2, 2}));
  MESSAGE("across layers: ", x.at({0, 0}), " ", x.at({0, 1}), " / ", x.at({1, 0}), " ", x.at({1, 1}));
  CHECK(std::abs(x.at({0, 0}) - 1) < 1e-6);
  CHECK(std::abs(x.at({1, 1}) - 1) < 1e-6);
  CHECK(x.at({0, 1}) == x.at({1, 0}));
  CHECK(std::abs(x.at({0, 1})) < 0.5);
}

TEST_CASE("inspect: the HDF5 file round-trips with the documented names and shapes, and the PNGs are written") {
  Generator gen(9);
  ReconstructionModel model(tiny_config(), gen);
  const Inspection ins = inspect_model(model, tiny_features(2, 6));
  const InspectRequest request = tiny_request(2);
  test::TempDir dir("inspect");
  const std::string path = (dir.path / "inspect.h5").string();
  write_inspection(path, ins, request);

  const h5::File f = h5::File::open_read(path);
  double worst = 0;
  auto same = [&](const std::string& name, const Tensor& expected, const Shape& shape) {
    const Tensor got = f.read(name, DType::Float32, shape);
    worst = std::max(worst, test::max_abs_diff(got, expected));
  };
  same("/features", ins.features, {2, 8, 4, 4});
  same("/reconstruction", ins.reconstruction, {2, 8, 4, 4});
  same("/anomaly_map", ins.anomaly_map, {2, 4, 4});
  same("/neighbor_mask", ins.neighbor_mask, {16, 16});
  same("/attention/encoder.layers.0.self_attn", ins.attention[0].weights, {2, 2, 16, 16});
  same("/attention/decoder.layers.0.self_attn", ins.attention[1].weights, {2, 2, 16, 16});
  same("/attention/decoder.layers.0.multihead_attn", ins.attention[2].weights, {2, 2, 16, 16});
  same("/learned_query/decoder.layers.0", ins.query_similarity[0], {16, 16});
  same("/learned_query/across_layers", ins.query_across_layers, {1, 1});
  MESSAGE("largest |stored - inspected| = ", worst);
  CHECK(worst == 0);
  CHECK(f.attr_int("/attention/decoder.layers.0.multihead_attn", "masked") == 1);
  CHECK(f.attr_string("/learned_query/across_layers", "layers") == "0");
  CHECK(f.read("/images").to_vector() == std::vector<double>{10, 11});
  CHECK(f.read("/labels").to_vector() == std::vector<double>{0, 1});
  CHECK(f.read("/tokens").to_vector() == std::vector<double>{0, 0, 2, 1});
  CHECK(f.read_strings("/image_names") == request.image_names);
  CHECK(f.attr_string("/", "format") == "uniad-inspect 1");
  CHECK(f.attr_string("/", "network") == "uniad");
  CHECK(f.attr_string("/", "checkpoint") == "none.h5");
  CHECK(f.attr_string("/", "config") == request.config_json);
  CHECK(f.attr_int("/", "grid_h") == 4);
  CHECK(f.attr_string("/", "attention_order") ==
        "encoder.layers.0.self_attn,decoder.layers.0.self_attn,decoder.layers.0.multihead_attn");

  const std::vector<std::string> pngs = write_inspection_pngs(dir.path.string(), ins, request, {}, 0);
  const std::vector<std::string> expected = {"attention_10_r0c0.png", "attention_10_r2c1.png", "attention_11_r0c0.png",
                                             "attention_11_r2c1.png", "mask_r0c0.png",         "mask_r2c1.png",
                                             "query_similarity_decoder.layers.0.png",          "query_across_layers.png",
                                             "anomaly_10.png",        "anomaly_11.png"};
  CHECK(pngs == expected);
  for (const std::string& p : expected) CHECK_MESSAGE(std::filesystem::exists(dir.path / p), p);
  // One row of 84-pixel tiles per attention (3), one column per head (2), 2-pixel gaps.
  const data::Image grid = data::decode_image((dir.path / "attention_10_r2c1.png").string());
  CHECK(grid.height == 3 * 86 - 2);
  CHECK(grid.width == 2 * 86 - 2);
  // Token (2, 1) is outlined in white; a key it cannot see (its right neighbour) is dark grey.
  CHECK(grid.at(2 * 21, 1 * 21, 0) == 255);
  CHECK(grid.at(2 * 21 + 10, 2 * 21 + 10, 0) == 64);
}

TEST_CASE("inspect: MLP and CNN networks have no attention, and their maps are still written") {
  for (const NetworkKind kind : {NetworkKind::MLP, NetworkKind::CNN}) {
    Generator gen(11);
    ReconstructionModel model(tiny_config(kind), gen);
    const Inspection ins = inspect_model(model, tiny_features(1, 8));
    CHECK(ins.attention.empty());
    CHECK_FALSE(ins.neighbor_mask.defined());
    CHECK(ins.query_layers.empty());
    model.eval();
    ag::NoGradGuard no_grad;
    const double diff = test::max_abs_diff(ins.reconstruction, model.forward(ins.features).data());
    MESSAGE(std::string(network_kind_name(kind)), ": max |inspected - forward| = ", diff);
    CHECK(diff == 0);
    test::TempDir dir("inspect_mlp");
    write_inspection((dir.path / "inspect.h5").string(), ins, tiny_request(1));
    const std::vector<std::string> pngs = write_inspection_pngs(dir.path.string(), ins, tiny_request(1), {}, 0);
    CHECK(pngs == std::vector<std::string>{"anomaly_10.png"});
    CHECK_FALSE(h5::File::open_read((dir.path / "inspect.h5").string()).exists("/attention"));
  }
}

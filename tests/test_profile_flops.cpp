// The op profiler behind `uniad bench --profile` and the model's FLOP count behind its GFLOP/s.
#include <map>

#include "autograd/functions.h"
#include "autograd/profile.h"
#include "test_util.h"
#include "uniad/model_flops.h"

using namespace uniad;

namespace {
std::map<std::string, ag::OpProfileRow> by_key(const std::vector<ag::OpProfileRow>& rows) {
  std::map<std::string, ag::OpProfileRow> m;
  for (const auto& r : rows) m[r.phase + "/" + r.op] = r;
  return m;
}
}  // namespace

TEST_CASE("profile: forward ops, backward nodes and scopes are charged to their phase") {
  const ag::Variable a(test::randn({64, 32}, 1, DType::Float32), true);
  const ag::Variable b(test::randn({32, 48}, 2, DType::Float32), true);
  ag::profiler::start();
  ag::Variable loss = ag::sum(ag::relu(ag::matmul(a, b)));
  loss.backward();
  {
    ag::ProfileScope scope("optimizer", "step");
  }
  const auto rows = by_key(ag::profiler::stop());
  for (const char* key : {"forward/matmul", "forward/relu", "forward/sum", "backward/matmul", "backward/relu",
                          "backward/sum", "backward/accumulate_grad", "optimizer/step"}) {
    CAPTURE(key);
    REQUIRE(rows.count(key) == 1);
    CHECK(rows.at(key).seconds >= 0);
  }
  CHECK(rows.at("forward/matmul").calls == 1);
  CHECK(rows.at("backward/matmul").calls == 1);
  CHECK(rows.at("backward/accumulate_grad").calls == 2);  // a and b
  CHECK(rows.size() == 8);
  std::printf("[profile] %zu rows, forward matmul %.3e s\n", rows.size(), rows.at("forward/matmul").seconds);
}

TEST_CASE("profile: nothing is recorded while the profiler is off") {
  ag::profiler::start();
  (void)ag::profiler::stop();
  const ag::Variable a(test::randn({4, 4}, 3, DType::Float32), true);
  ag::sum(ag::matmul(a, a)).backward();
  { ag::ProfileScope scope("optimizer", "step"); }
  ag::profiler::start();
  CHECK(ag::profiler::stop().empty());
}

TEST_CASE("model FLOPs: the paper's configuration, counted by hand") {
  // N = 196 tokens x 8 = 1568 rows; C 272, D 256, F 1024, L = S = 196, B 8.
  // input and output projections: 2 N C D = 218,365,952 each
  // FFN: 2 x 2 N D F = 1,644,167,168
  // attention: 4 projections 2 N D^2 = 822,083,584, scores + values 2 x 2 B L^2 D = 314,703,872
  // 4 encoder layers (attention + FFN) + 4 decoder layers (2 attentions + FFN)
  const ModelFlops f = model_flops(ModelConfig{}, 8);
  const double expected_forward = 2 * 218365952.0 + 4 * (1136787456.0 + 1644167168.0) +
                                  4 * (2 * 1136787456.0 + 1644167168.0);
  CHECK(f.forward == expected_forward);
  CHECK(f.forward == 27231518720.0);
  CHECK(f.train == 3 * expected_forward - 218365952.0);  // no input gradient for the features
  std::printf("[flops] paper model, batch 8: forward %.4f GFLOP, training step %.4f GFLOP\n", f.forward / 1e9,
              f.train / 1e9);
}

TEST_CASE("model FLOPs: MLP and CNN trunks, and linear in the batch") {
  ModelConfig c;
  c.feature_channels = 3;
  c.grid_h = c.grid_w = 2;
  c.hidden_dim = 4;
  c.ffn_dim = 8;
  c.encoder_layers = c.decoder_layers = 1;
  c.network = NetworkKind::MLP;
  // N = 4 tokens: projections 2*4*3*4 = 96 each; FFN 2*(2*4*4*8) = 512 per layer, 2 layers.
  CHECK(model_flops(c, 1).forward == 2 * 96 + 2 * 512);
  c.network = NetworkKind::CNN;
  // two 3x3 convolutions per layer, each 2 N D D 9 = 2*4*4*4*9 = 1152: 2304 per layer.
  CHECK(model_flops(c, 1).forward == 2 * 96 + 2 * 2304);
  c.network = NetworkKind::UniAD;
  CHECK(model_flops(c, 3).forward == 3 * model_flops(c, 1).forward);  // attention too is per image
}

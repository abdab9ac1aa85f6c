// uniad/state_io.h: parameters and model configuration in HDF5, by name. Round trips, and the
// error that lists every missing, unexpected and mis-shaped name.
#include <unistd.h>

#include <filesystem>

#include "test_util.h"
#include "uniad/model.h"
#include "uniad/state_io.h"

using namespace uniad;
using test::error_of;
using test::TempPath;
namespace fs = std::filesystem;

namespace {


ModelConfig tiny(NetworkKind kind) {
  ModelConfig c;
  c.network = kind;
  c.feature_channels = 6;
  c.grid_h = 3;
  c.grid_w = 4;
  c.hidden_dim = 8;
  c.heads = 2;
  c.encoder_layers = 1;
  c.decoder_layers = 2;
  c.ffn_dim = 12;
  c.mask_window = 1;
  c.learned_pos_embed = false;
  c.mask_decoder2 = false;
  c.dropout = 0.25;
  c.jitter_scale = 5;
  c.jitter_prob = 0.5;
  return c;
}


}  // namespace

TEST_CASE("state_io: parameters and config round trip through HDF5 by name") {
  TempPath tmp("roundtrip.h5");
  const ModelConfig config = tiny(NetworkKind::QueryFirst);
  Generator g1(1), g2(2);
  ReconstructionModel a(config, g1), b(config, g2);  // different seeds: different weights
  {
    h5::File f = h5::File::create(tmp.str());
    save_model_config(config, f, "/config");
    save_parameters(a, f, "/model");
    f.close();
  }
  const h5::File f = h5::File::open_read(tmp.str());
  CHECK(f.exists("/model/decoder.layers.0.learned_embed.weight"));
  CHECK(f.exists("/model/encoder.layers.0.self_attn.in_proj_weight"));
  const ModelConfig c = load_model_config(f, "/config");
  CHECK(c.network == NetworkKind::QueryFirst);
  CHECK(c.grid_w == 4);
  CHECK(c.learned_pos_embed == false);
  CHECK(c.mask_decoder2 == false);
  CHECK(c.mask_encoder == true);
  CHECK(c.dropout == 0.25);
  CHECK(c.jitter_prob == 0.5);
  load_parameters(b, f, "/model");
  const auto pa = a.named_parameters(), pb = b.named_parameters();
  REQUIRE(pa.size() == pb.size());
  double worst = 0;
  for (size_t i = 0; i < pa.size(); ++i) worst = std::max(worst, test::max_abs_diff(pa[i].second.data(), pb[i].second.data()));
  std::printf("[compare] state_io round trip, %zu parameters     max |diff| = %.3e\n", pa.size(), worst);
  CHECK(worst == 0);
}

TEST_CASE("state_io: loading lists missing, unexpected and mis-shaped names, and changes nothing") {
  TempPath tmp("mismatch.h5");
  Generator gen(3);
  ReconstructionModel uniad(tiny(NetworkKind::UniAD), gen);
  ModelConfig wider = tiny(NetworkKind::QueryFirst);
  wider.ffn_dim = 16;
  ReconstructionModel query_first(wider, gen);
  {
    h5::File f = h5::File::create(tmp.str());
    save_parameters(query_first, f, "/model");
    f.write("/model/extra.weight", Tensor::zeros({2}));
    f.close();
  }
  const h5::File f = h5::File::open_read(tmp.str());
  const Tensor before = uniad.parameter("input_proj.weight").data().clone();
  const std::string msg = error_of([&] { load_parameters(uniad, f, "/model"); });
  MESSAGE(msg);
  CHECK(msg.find("missing from the file (1)") != std::string::npos);
  CHECK(msg.find("decoder.layers.1.learned_embed.weight") != std::string::npos);
  CHECK(msg.find("unexpected in the file (1)") != std::string::npos);
  CHECK(msg.find("extra.weight") != std::string::npos);
  CHECK(msg.find("encoder.layers.0.ffn.linear1.weight (stored [16, 8], model [12, 8])") != std::string::npos);
  CHECK(test::max_abs_diff(uniad.parameter("input_proj.weight").data(), before) == 0);

  TempPath no_attr("config.h5");
  {
    h5::File g = h5::File::create(no_attr.str());
    g.create_group("/config");
    g.set_attr("/config", "network", "uniad");
    g.close();
  }
  const h5::File g = h5::File::open_read(no_attr.str());
  // Fields are read in name order, so the first missing one is decoder_layers.
  CHECK(error_of([&] { load_model_config(g, "/config"); }).find("has no attribute 'decoder_layers'") != std::string::npos);
}

// Configuration files and overrides: defaults are the paper's, round trips are exact, and bad
// input names the file and the key.
#include <cstdio>
#include <fstream>

#include "test_util.h"
#include "uniad/config_io.h"

using namespace uniad;

TEST_CASE("config: defaults are the paper's and survive a JSON round trip") {
  const RunConfig d = load_run_config("", {});
  CHECK(d.model.hidden_dim == 256);
  CHECK(d.model.mask_window == 7);
  CHECK(d.train.lr == 1e-4);
  CHECK(d.train.step_epochs == 800);
  RunConfig c = d;
  c.model.network = NetworkKind::QueryFirst;
  c.model.mask_decoder2 = false;
  c.train.lr = 5e-4;
  const RunConfig back = run_config_from_json(to_json(c), "test");
  CHECK(to_json(back) == to_json(c));
  CHECK(back.model.network == NetworkKind::QueryFirst);
}

TEST_CASE("config: --set overrides parse numbers, booleans and bare words") {
  const RunConfig c = load_run_config("", {"train.lr=5e-4", "model.network=mlp", "model.mask_encoder=false",
                                           "train.epochs=3"});
  CHECK(c.train.lr == 5e-4);
  CHECK(c.model.network == NetworkKind::MLP);
  CHECK_FALSE(c.model.mask_encoder);
  CHECK(c.train.epochs == 3);
}

TEST_CASE("config: errors name the file and the key") {
  const std::string path = "/tmp/uniad_test_config.json";
  {
    std::ofstream(path) << R"({"model": {"hiden_dim": 128}})";
  }
  CHECK_THROWS_WITH_AS(load_run_config(path, {}), (path + ": unknown key 'model.hiden_dim'").c_str(), Error);
  {
    std::ofstream(path) << R"({"model": {"heads": "8"}})";
  }
  CHECK_THROWS_WITH_AS(load_run_config(path, {}), doctest::Contains("model.heads: expected an integer"), Error);
  {
    std::ofstream(path) << "{ not json";
  }
  CHECK_THROWS_WITH_AS(load_run_config(path, {}), (path + ": not valid JSON").c_str(), Error);
  CHECK_THROWS_WITH_AS(load_run_config("/nonexistent/x.json", {}), doctest::Contains("cannot open"), Error);
  CHECK_THROWS_WITH_AS(load_run_config("", {"model.heads=7"}), doctest::Contains("not divisible by 7 heads"), Error);
  CHECK_THROWS_WITH_AS(load_run_config("", {"lr=1"}), doctest::Contains("expected section.key=value"), Error);
  CHECK_THROWS_WITH_AS(load_run_config("", {"model.network=rnn"}), doctest::Contains("unknown network 'rnn'"), Error);
  std::remove(path.c_str());
}

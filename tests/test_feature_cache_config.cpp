// The feature cache's configuration: defaults, file + --set overrides (lists as JSON or commas),
// errors naming the file and the key, and what counts for resuming.
#include <fstream>

#include "data/feature_config.h"
#include "test_util.h"

using namespace uniad;
using test::contains;
using test::error_of;
using test::TempPath;

namespace {
void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }
}  // namespace

TEST_CASE("feature config: file, overrides, lists and the extractor config") {
  TempPath tmp("features_config.json");
  write_file(tmp.str(), R"({
    // comments are allowed
    "data": {"kind": "mvtec", "root": "textures", "classes": ["cork"], "input_size": 256},
    "backbone": {"blocks": [2, 5], "scaling": "unit"},
    "features": {"batch_size": 8}
  })");
  data::FeatureCacheConfig c = data::load_feature_cache_config(tmp.str(), {});
  CHECK(c.data.root == "textures");
  CHECK(c.data.classes == std::vector<std::string>{"cork"});
  CHECK(c.data.input_size == 256);
  CHECK(c.data.eval_size == 224);  // default
  CHECK(c.backbone.blocks == std::vector<int>{2, 5});
  CHECK(c.features.batch_size == 8);
  const data::FeatureExtractorConfig e = c.extractor_config();
  CHECK(e.backbone == "mobilenet_v2");
  CHECK(e.input_size == 256);
  CHECK(e.scaling == data::InputScaling::Unit);
  CHECK(e.feature_blocks == std::vector<int>{2, 5});

  c = data::load_feature_cache_config(tmp.str(), {"data.classes=bottle,cable", "backbone.blocks=1,5,9",
                                                  "features.out=x.h5", "backbone.scaling=imagenet"});
  CHECK(c.data.classes == std::vector<std::string>{"bottle", "cable"});
  CHECK(c.backbone.blocks == std::vector<int>{1, 5, 9});
  CHECK(c.features.out == "x.h5");
  CHECK(c.backbone.scaling == "imagenet");
  c = data::load_feature_cache_config(tmp.str(), {"backbone.blocks=[3]", "data.classes=[]"});
  CHECK(c.backbone.blocks == std::vector<int>{3});
  CHECK(c.data.classes.empty());
  c = data::load_feature_cache_config(tmp.str(), {"backbone.blocks=9"});
  CHECK(c.backbone.blocks == std::vector<int>{9});
  // A split that looks like a number stays text.
  c = data::load_feature_cache_config(tmp.str(), {"data.kind=fashion-mnist", "data.classes=[]", "data.split=13579"});
  CHECK(c.data.split == "13579");

  // Round trip through JSON; the identity leaves out the output path and threads.
  const data::FeatureCacheConfig back = data::feature_cache_config_from_json(data::to_json(c), "json");
  CHECK(data::to_json(back) == data::to_json(c));
  data::FeatureCacheConfig moved = c;
  moved.features.out = "elsewhere.h5";
  moved.features.threads = 2;
  CHECK(data::feature_cache_identity(moved) == data::feature_cache_identity(c));
  moved.features.batch_size = 3;
  CHECK(data::feature_cache_identity(moved) != data::feature_cache_identity(c));
}

TEST_CASE("feature config: errors name the file, the override and the key") {
  TempPath tmp("features_bad.json");
  write_file(tmp.str(), R"({"data": {"root": "r", "colour": 1}})");
  std::string e = error_of([&] { data::load_feature_cache_config(tmp.str(), {}); });
  CHECK(contains(e, tmp.str()));
  CHECK(contains(e, "unknown key 'data.colour'"));

  write_file(tmp.str(), R"({"data": {"root": "r"}, "model": {}})");
  CHECK(contains(error_of([&] { data::load_feature_cache_config(tmp.str(), {}); }), "unknown section 'model'"));

  write_file(tmp.str(), R"({"data": {"root": "r", "input_size": "big"}})");
  e = error_of([&] { data::load_feature_cache_config(tmp.str(), {}); });
  CHECK(contains(e, "data.input_size: expected an integer"));

  write_file(tmp.str(), R"({"data": {"root": "r"}})");
  e = error_of([&] { data::load_feature_cache_config(tmp.str(), {"features.batchsize=3"}); });
  CHECK(contains(e, "--set 'features.batchsize=3'"));
  CHECK(contains(e, "unknown key 'features.batchsize'"));
  CHECK(contains(error_of([&] { data::load_feature_cache_config(tmp.str(), {"nodot=3"}); }), "section.key=value"));
  e = error_of([&] { data::load_feature_cache_config(tmp.str(), {"data.input_size=100"}); });
  CHECK(contains(e, tmp.str()));
  CHECK(contains(e, "data.input_size: must be a positive multiple of 16, got 100"));
  CHECK(contains(error_of([&] { data::load_feature_cache_config(tmp.str(), {"data.kind=cifar"}); }), "cifar"));
  CHECK(contains(error_of([&] { data::load_feature_cache_config(tmp.str(), {"backbone.scaling=x"}); }),
                 "backbone.scaling: unknown input scaling"));
  CHECK(contains(error_of([&] { data::load_feature_cache_config(tmp.str(), {"data.kind=fashion-mnist", "data.split=012"}); }),
                 "data.split: unified_protocol: unknown split"));
  CHECK(contains(error_of([&] { data::load_feature_cache_config(tmp.str(), {"backbone.blocks=a,b"}); }),
                 "backbone.blocks[0]: expected an integer"));

  write_file(tmp.str(), R"({"data": {}})");
  CHECK(contains(error_of([&] { data::load_feature_cache_config(tmp.str(), {}); }), "data.root: required"));
  write_file(tmp.str(), "{not json");
  CHECK(contains(error_of([&] { data::load_feature_cache_config(tmp.str(), {}); }), "not valid JSON"));
  CHECK(contains(error_of([] { data::load_feature_cache_config("/nonexistent/f.json", {}); }),
                 "/nonexistent/f.json: cannot open the configuration file"));
}

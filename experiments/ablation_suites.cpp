#include "experiments/ablation_suites.h"

#include "experiments/find_named.h"

namespace uniad {

namespace {

AblationSuite network_suite() {
  AblationSuite s{"network", "Which reconstruction network: token-wise MLP, CNN, plain transformer, or a learned query "
                  "in the first or in every decoder layer (paper Table 5)", "uniad", true, {}};
  s.variants = {
      {"mlp", {"model.network=mlp"}, false, "token-wise MLP: the trunk without attention"},
      {"cnn", {"model.network=cnn"}, false, "3x3 convolutions on the token grid instead of attention"},
      {"transformer", {"model.network=transformer"}, false, "encoder-decoder, decoder layers start from their input"},
      {"query_first", {"model.network=query_first"}, false, "a learned query in the first decoder layer only"},
      {"uniad", {"model.network=uniad"}, false, "a learned query in every decoder layer (UniAD)"},
  };
  return s;
}

// The variants that switch a remedy off (mask none, jitter off) record the lab too, so its
// curves show what each remedy changes against the network suite's uniad run.
AblationSuite mask_suite() {
  AblationSuite s{"mask", "Where the neighbour mask helps, and how large its window should be (paper Table 6)", "all",
                  false, {}};
  auto where = [](bool enc, bool dec1, bool dec2) {
    return std::vector<std::string>{std::string("model.mask_encoder=") + (enc ? "true" : "false"),
                                    std::string("model.mask_decoder1=") + (dec1 ? "true" : "false"),
                                    std::string("model.mask_decoder2=") + (dec2 ? "true" : "false")};
  };
  s.variants = {
      {"none", where(false, false, false), false, "no neighbour mask", true},
      {"encoder", where(true, false, false), false, "encoder self-attention only"},
      {"decoder1", where(false, true, false), false, "decoder attention 1 only (query to encoder output)"},
      {"decoder2", where(false, false, true), false, "decoder attention 2 only (to the previous decoder layer)"},
      {"all", where(true, true, true), false, "all three attentions, window 7 (UniAD)"},
  };
  for (int w : {1, 3, 5, 9}) {
    std::vector<std::string> o = where(true, true, true);
    o.push_back("model.mask_window=" + std::to_string(w));
    s.variants.push_back({"window" + std::to_string(w), o, false,
                          "all three attentions, window " + std::to_string(w)});
  }
  return s;
}

AblationSuite jitter_suite() {
  AblationSuite s{"jitter", "Feature jitter: off, its scale alpha, and the probability p of jittering a step "
                  "(paper Table 7)", "scale20", false, {}};
  s.variants.push_back({"off", {"model.jitter_prob=0"}, false, "no feature jitter", true});
  for (int a : {1, 5, 10, 20, 40})
    s.variants.push_back({"scale" + std::to_string(a), {"model.jitter_prob=1", "model.jitter_scale=" + std::to_string(a)},
                          false, "alpha " + std::to_string(a) + ", p 1" + (a == 20 ? " (UniAD)" : "")});
  for (const char* p : {"0.25", "0.5", "0.75"})
    s.variants.push_back({std::string("p") + p, {"model.jitter_scale=20", std::string("model.jitter_prob=") + p}, false,
                          std::string("alpha 20, p ") + p});
  return s;
}

AblationSuite unified_suite() {
  AblationSuite s{"unified", "One model for all classes versus one model per class, at equal epochs", "unified", false,
                  {}};
  s.variants = {
      {"unified", {}, false, "one UniAD model for all normal classes"},
      {"per_class", {}, true, "one UniAD model per normal class (same epochs, each on its class)"},
  };
  return s;
}

}  // namespace

const std::vector<AblationSuite>& ablation_suites() {
  static const std::vector<AblationSuite> suites = {network_suite(), mask_suite(), jitter_suite(), unified_suite()};
  return suites;
}

const AblationSuite& find_ablation_suite(const std::string& name) {
  return find_named(ablation_suites(), name, "--suite", ", or all");
}

}  // namespace uniad

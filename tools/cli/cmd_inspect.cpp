// uniad inspect --checkpoint FILE [--images i,j | --class NAME --count K] [--token row,col ...]
//               [--set section.key=value ...] [--out DIR]
//
// Opens a trained model on a few test images of its feature cache (read as `uniad eval` reads
// them) and writes what happens inside: every attention's weights, the neighbour mask, the
// learned queries' similarity, the reconstruction and the anomaly map, to DIR/inspect.h5, with
// PNG renderings beside it. Layout and how to read it: uniad/inspect.h, docs/inspect.md.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tensor/error.h"
#include "tools/cli/commands.h"
#include "tools/cli/device_options.h"
#include "tools/cli/run_data.h"
#include "uniad/checkpoint.h"
#include "uniad/inspect.h"
#include "uniad/trainer.h"

namespace uniad::cli {

namespace {

struct InspectOptions {
  std::string checkpoint, out, images, class_name;
  int64_t count = 2;
  std::vector<std::string> tokens, overrides;
};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t end = std::min(s.find(',', start), s.size());
    parts.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

int64_t parse_int(const std::string& text, const std::string& option) {
  size_t used = 0;
  int64_t v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  UNIAD_CHECK(!text.empty() && used == text.size(), option, ": '", text, "' is not an integer");
  return v;
}

// The test-split rows to look at: --images, or --count images of --class (defective ones first,
// then normal ones, keeping one normal image when K >= 2), or by default one defective image of
// the first class.
std::vector<int64_t> choose_images(const InspectOptions& o, const data::FeatureSplit& test, const std::string& cache) {
  const int64_t N = test.features.size(0);
  std::vector<int64_t> rows;
  if (!o.images.empty()) {
    UNIAD_CHECK(o.class_name.empty(), "--images and --class choose images two ways: give one of them");
    for (const std::string& s : split_commas(o.images)) {
      const int64_t i = parse_int(s, "--images");
      UNIAD_CHECK(i >= 0 && i < N, "--images ", i, ": the test split of ", cache, " has ", N, " images (0 to ",
                  N - 1, ")");
      rows.push_back(i);
    }
    return rows;
  }
  const std::string name = o.class_name.empty() ? test.class_names.at(size_t(test.class_ids.at(0))) : o.class_name;
  const auto it = std::find(test.class_names.begin(), test.class_names.end(), name);
  if (it == test.class_names.end()) {
    std::string known;
    for (const std::string& c : test.class_names) known += (known.empty() ? "" : ", ") + c;
    throw Error(cat("--class ", name, ": not a class of ", cache, " (classes: ", known, ")"));
  }
  const int cls = int(it - test.class_names.begin());
  const int64_t count = o.class_name.empty() ? 1 : o.count;
  UNIAD_CHECK(count >= 1, "--count ", count, ": choose at least one image");
  std::vector<int64_t> defective, normal;
  for (int64_t i = 0; i < N; ++i)
    if (test.class_ids[size_t(i)] == cls) (test.labels[size_t(i)] == 1 ? defective : normal).push_back(i);
  UNIAD_CHECK(!defective.empty() || !normal.empty(), "--class ", name, ": no test images of this class in ", cache,
              " (data.classes may leave it out)");
  const int64_t keep_normal = count >= 2 && !normal.empty() ? 1 : 0;
  for (size_t i = 0; i < defective.size() && int64_t(rows.size()) < count - keep_normal; ++i)
    rows.push_back(defective[i]);
  for (size_t i = 0; i < normal.size() && int64_t(rows.size()) < count; ++i) rows.push_back(normal[i]);
  return rows;
}

std::vector<std::pair<int64_t, int64_t>> parse_tokens(const InspectOptions& o, const ModelConfig& c) {
  std::vector<std::pair<int64_t, int64_t>> tokens;
  for (const std::string& t : o.tokens) {
    const auto parts = split_commas(t);
    UNIAD_CHECK(parts.size() == 2, "--token ", t, ": expected row,col");
    const int64_t r = parse_int(parts[0], "--token"), col = parse_int(parts[1], "--token");
    UNIAD_CHECK(r >= 0 && r < c.grid_h && col >= 0 && col < c.grid_w, "--token ", t, ": outside the ", c.grid_h,
                " x ", c.grid_w, " token grid (model.grid_h, model.grid_w): row 0 to ", c.grid_h - 1, ", col 0 to ",
                c.grid_w - 1);
    tokens.emplace_back(r, col);
  }
  return tokens;
}

void run_inspect(const InspectOptions& o) {
  const RunConfig config = checkpoint_config(o.checkpoint, o.overrides);
  const ModelConfig& mc = config.model;
  std::vector<std::pair<int64_t, int64_t>> tokens = parse_tokens(o, mc);  // checked before the slow part
  const std::string run_dir = std::filesystem::path(o.checkpoint).parent_path().string();
  const std::string out = o.out.empty() ? (run_dir.empty() ? std::string("inspect") : run_dir + "/inspect") : o.out;
  const std::string cache = ensure_feature_cache(config, o.checkpoint);
  const data::FeatureSplit test = read_run_split(config, cache, "test");
  const std::vector<int64_t> rows = choose_images(o, test, cache);

  Generator gen(config.train.seed);
  ReconstructionModel model(mc, gen);
  load_checkpoint(o.checkpoint, model, nullptr);
  place_model(model, config.train);
  const Inspection ins = inspect_model(model, take_rows(test.features, rows));

  InspectRequest request;
  request.checkpoint = o.checkpoint;
  request.config_json = to_json(config).dump(2);
  request.images = rows;
  const int64_t px = test.mask_size * test.mask_size;
  std::vector<uint8_t> masks;
  for (int64_t i : rows) {
    request.image_names.push_back(test.class_names[size_t(test.class_ids[size_t(i)])] + "/" + test.defects[size_t(i)] +
                                  "/" + test.files[size_t(i)]);
    request.labels.push_back(test.labels[size_t(i)]);
    request.image_paths.push_back(test.paths[size_t(i)]);
    if (!test.masks.empty()) masks.insert(masks.end(), test.masks.begin() + i * px, test.masks.begin() + (i + 1) * px);
  }
  if (tokens.empty()) {  // the most anomalous token of the first image
    const Tensor first = ins.anomaly_map.select(0, 0).contiguous();  // [H, W]
    const float* m = first.data<float>();
    const int64_t k = std::max_element(m, m + first.numel()) - m;
    tokens.emplace_back(k / mc.grid_w, k % mc.grid_w);
  }
  request.tokens = tokens;

  std::filesystem::create_directories(out);
  write_inspection(out + "/inspect.h5", ins, request);
  const std::vector<std::string> pngs = write_inspection_pngs(out, ins, request, masks, test.mask_size);

  const int64_t B = int64_t(rows.size());
  std::printf("inspected %s (network %s) on %lld test image(s) of %s:\n", o.checkpoint.c_str(),
              network_kind_name(mc.network), (long long)B, cache.c_str());
  for (int64_t b = 0; b < B; ++b) {
    const std::vector<double> map = ins.anomaly_map.select(0, b).to_vector();  // [H * W]
    std::printf("  image %lld  %s  (%s)  largest token error %.4f\n", (long long)rows[size_t(b)],
                request.image_names[size_t(b)].c_str(), request.labels[size_t(b)] ? "defective" : "normal",
                *std::max_element(map.begin(), map.end()));
  }
  std::printf("tokens:");
  for (const auto& [r, c] : tokens) std::printf(" (%lld, %lld)", (long long)r, (long long)c);
  std::printf("%s\n", o.tokens.empty() ? "  (the most anomalous token of the first image; choose with --token)" : "");
  std::printf("wrote %s/inspect.h5:\n", out.c_str());
  std::printf("  /features, /reconstruction [%lld, %lld, %lld, %lld], /anomaly_map [%lld, %lld, %lld]\n", (long long)B,
              (long long)mc.feature_channels, (long long)mc.grid_h, (long long)mc.grid_w, (long long)B,
              (long long)mc.grid_h, (long long)mc.grid_w);
  const int64_t L = mc.tokens();
  if (ins.attention.empty()) {
    std::printf("  no attention: network %s has none (only transformer kinds attend); the maps are written\n",
                network_kind_name(mc.network));
  } else {
    std::printf("  /neighbor_mask [%lld, %lld] (window %lld)\n", (long long)L, (long long)L, (long long)mc.mask_window);
    for (const auto& a : ins.attention)
      std::printf("  /attention/%s [%lld, %lld, %lld, %lld]%s\n", a.name.c_str(), (long long)B, (long long)mc.heads,
                  (long long)L, (long long)L, a.masked ? " masked" : "");
  }
  if (ins.query_layers.empty() && !ins.attention.empty())
    std::printf("  no learned queries: network %s has none\n", network_kind_name(mc.network));
  for (int64_t layer : ins.query_layers)
    std::printf("  /learned_query/decoder.layers.%lld [%lld, %lld]\n", (long long)layer, (long long)L, (long long)L);
  if (ins.query_across_layers.defined())
    std::printf("  /learned_query/across_layers [%lld, %lld]\n", (long long)ins.query_layers.size(),
                (long long)ins.query_layers.size());
  std::printf("wrote %zu PNG file(s) in %s:", pngs.size(), out.c_str());
  for (const std::string& p : pngs) std::printf(" %s", p.c_str());
  std::printf("\n");
}

}  // namespace

void add_inspect(CLI::App& app) {
  auto opts = std::make_shared<InspectOptions>();
  CLI::App* cmd = app.add_subcommand(
      "inspect",
      "Look inside a trained model on a few test images of its feature cache: every attention's weights per "
      "layer and head, the neighbour mask, the cosine similarity of the learned decoder queries, the "
      "reconstruction and the per-token anomaly map, written to DIR/inspect.h5 (layout: docs/inspect.md) with "
      "PNG renderings: per chosen token a grid of attention maps (rows: attentions in forward order, columns: "
      "heads; the token outlined in white, keys hidden by the neighbour mask dark grey), the token's mask, the "
      "query similarity matrices and each image's anomaly map. MLP and CNN networks have no attention: their "
      "maps are still written.");
  cmd->add_option("--checkpoint", opts->checkpoint, "A checkpoint written by `uniad train` (best.h5 or last.h5)")
      ->required();
  cmd->add_option("--images", opts->images, "Rows of the test split to inspect, comma-separated, e.g. 0,17");
  cmd->add_option("--class", opts->class_name,
                  "Inspect --count images of this class (defective ones first, one normal one when the count "
                  "allows); default: one defective image of the first class");
  cmd->add_option("--count", opts->count, "How many images of --class (default 2)");
  cmd->add_option("--token", opts->tokens,
                  "A token row,col of the grid whose attention to draw (repeatable; default: the most "
                  "anomalous token of the first image)");
  add_device_options(cmd, opts->overrides);
  cmd->add_option("--set", opts->overrides, "Override a key of the checkpoint's configuration (repeatable)");
  cmd->add_option("--out", opts->out, "Output folder (default: <checkpoint folder>/inspect)");
  cmd->callback([opts] { run_inspect(*opts); });
}

}  // namespace uniad::cli

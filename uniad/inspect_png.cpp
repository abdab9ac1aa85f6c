// PNG renderings of an Inspection (uniad/inspect.h): attention grids, masks, query similarity,
// anomaly composites. Pictures are built from tiles: a map [h, w] coloured and enlarged to
// `cell` pixels per value, laid out on a white canvas with 2-pixel gaps.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "data/image.h"
#include "tensor/error.h"
#include "uniad/heatmap.h"
#include "uniad/inspect.h"
#include "uniad/scoring.h"

namespace uniad {

namespace fs = std::filesystem;

namespace {

constexpr int kGap = 2;

// Copies `tile` [h, w, 3] into `canvas` at (y0, x0), each pixel enlarged to cell x cell.
void paste(data::Image& canvas, const data::Image& tile, int y0, int x0, int cell) {
  for (int y = 0; y < tile.height * cell; ++y)
    for (int x = 0; x < tile.width * cell; ++x)
      for (int ch = 0; ch < 3; ++ch) canvas.at(y0 + y, x0 + x, ch) = tile.at(y / cell, x / cell, ch);
}

// A one-pixel outline of cell (row, col) of a tile placed at (y0, x0).
void outline(data::Image& canvas, int y0, int x0, int cell, int64_t row, int64_t col, uint8_t value) {
  const int top = y0 + int(row) * cell, left = x0 + int(col) * cell;
  for (int i = 0; i < cell; ++i)
    for (int ch = 0; ch < 3; ++ch) {
      canvas.at(top, left + i, ch) = canvas.at(top + cell - 1, left + i, ch) = value;
      canvas.at(top + i, left, ch) = canvas.at(top + i, left + cell - 1, ch) = value;
    }
}

// Pixels per value so that a side of n values is about `target` pixels (at least 1).
int cell_for(int64_t n, int target) { return std::max(1, int(target / std::max<int64_t>(n, 1))); }

data::Image square_picture(const Tensor& m, float lo, float hi, int target) {  // m [n, n]
  const int n = int(m.size(0));
  const Tensor f = m.contiguous();
  const data::Image tile = colorize_map({f.data<float>(), size_t(n) * n}, n, n, lo, hi);
  const int cell = cell_for(n, target);
  data::Image out = data::Image::zeros8(n * cell, n * cell, 3);
  paste(out, tile, 0, 0, cell);
  return out;
}

std::string token_tag(const std::pair<int64_t, int64_t>& t) {
  char tag[48];  // snprintf: GCC 12 warns falsely (-Wrestrict) on chained std::string +
  std::snprintf(tag, sizeof tag, "r%lldc%lld", static_cast<long long>(t.first), static_cast<long long>(t.second));
  return tag;
}

}  // namespace

std::vector<std::string> write_inspection_pngs(const std::string& out_dir, const Inspection& ins,
                                               const InspectRequest& request, const std::vector<uint8_t>& masks,
                                               int64_t mask_size) {
  fs::create_directories(out_dir);
  std::vector<std::string> written;
  auto save = [&](const std::string& name, const data::Image& im) {
    data::write_png(out_dir + "/" + name, im);
    written.push_back(name);
  };
  const int gh = int(ins.grid_h), gw = int(ins.grid_w);
  const int64_t L = ins.grid_h * ins.grid_w, B = ins.features.size(0);
  UNIAD_CHECK(int64_t(request.images.size()) == B, "write_inspection_pngs: ", request.images.size(),
              " image rows for a batch of ", B);
  const int cell = cell_for(std::max(gh, gw), 84);  // 6 px per token on the 14 x 14 grid

  // Attention grids: one row per attention, one column per head.
  if (!ins.attention.empty()) {
    const int64_t heads = ins.attention[0].weights.size(1);
    const int tile_h = gh * cell, tile_w = gw * cell;
    for (int64_t b = 0; b < B; ++b)
      for (const auto& token : request.tokens) {
        const int64_t q = token.first * gw + token.second;
        data::Image canvas = data::Image::zeros8(int(ins.attention.size()) * (tile_h + kGap) - kGap,
                                                 int(heads) * (tile_w + kGap) - kGap, 3, 255);
        for (size_t a = 0; a < ins.attention.size(); ++a)
          for (int64_t h = 0; h < heads; ++h) {
            const Tensor row = ins.attention[a].weights.select(0, b).select(0, h).select(0, q).contiguous();  // [S]
            UNIAD_CHECK(row.numel() == L, "write_inspection_pngs: ", ins.attention[a].name, " has ", row.numel(),
                        " keys, expected the ", L, " tokens of the grid");
            const float* w = row.data<float>();
            const float hi = std::max(*std::max_element(w, w + L), 1e-12f);
            data::Image tile = colorize_map({w, size_t(L)}, gh, gw, 0.f, hi);
            if (ins.attention[a].masked && ins.neighbor_mask.defined())
              for (int64_t k = 0; k < L; ++k)
                if (ins.neighbor_mask.at({q, k}) > 0)
                  for (int ch = 0; ch < 3; ++ch) tile.at(int(k / gw), int(k % gw), ch) = 64;
            const int y0 = int(a) * (tile_h + kGap), x0 = int(h) * (tile_w + kGap);
            paste(canvas, tile, y0, x0, cell);
            outline(canvas, y0, x0, cell, token.first, token.second, 255);
          }
        save("attention_" + std::to_string(request.images[b]) + "_" + token_tag(token) + ".png", canvas);
      }
  }

  // The neighbour mask of each token: hidden keys dark grey, visible ones light, the token white.
  if (ins.neighbor_mask.defined())
    for (const auto& token : request.tokens) {
      const int64_t q = token.first * gw + token.second;
      data::Image tile = data::Image::zeros8(gh, gw, 3, 200);
      for (int64_t k = 0; k < L; ++k)
        if (ins.neighbor_mask.at({q, k}) > 0)
          for (int ch = 0; ch < 3; ++ch) tile.at(int(k / gw), int(k % gw), ch) = 64;
      const int mask_cell = cell_for(std::max(gh, gw), 224);
      data::Image out = data::Image::zeros8(gh * mask_cell, gw * mask_cell, 3);
      paste(out, tile, 0, 0, mask_cell);
      outline(out, 0, 0, mask_cell, token.first, token.second, 255);
      save("mask_" + token_tag(token) + ".png", out);
    }

  for (size_t i = 0; i < ins.query_layers.size(); ++i)
    save("query_similarity_decoder.layers." + std::to_string(ins.query_layers[i]) + ".png",
         square_picture(ins.query_similarity[i], -1.f, 1.f, 400));
  if (ins.query_across_layers.defined())
    save("query_across_layers.png", square_picture(ins.query_across_layers, -1.f, 1.f, 200));

  // Anomaly maps at the ground-truth size (224 when the split has no masks), one colour scale.
  const int64_t size = mask_size > 0 ? mask_size : 224;
  const Tensor up = upsample_map(ins.anomaly_map.unsqueeze(1), size, size).contiguous();  // [B, 1, S, S]
  const float* maps = up.data<float>();
  const size_t px = size_t(size * size);
  const HeatmapScale scale = heatmap_scale({maps, px * size_t(B)});
  for (int64_t b = 0; b < B; ++b) {
    const std::span<const float> map(maps + b * px, px);
    const std::string name = "anomaly_" + std::to_string(request.images[b]) + ".png";
    const std::string path = b < int64_t(request.image_paths.size()) ? request.image_paths[b] : "";
    data::Image rgb;
    if (!path.empty()) try {
        rgb = load_rgb_resized(path, int(size));
      } catch (const Error&) {
        rgb = data::Image();  // unreadable: the map alone
      }
    if (rgb.height > 0) {
      std::span<const uint8_t> mask;  // empty: no outline
      if (masks.size() >= size_t(B) * px) mask = std::span<const uint8_t>(masks.data() + b * px, px);
      save(name, heatmap_composite(rgb, mask, map, int(size), scale.lo, scale.hi));
    } else {
      save(name, colorize_map(map, int(size), int(size), scale.lo, scale.hi));
    }
  }
  return written;
}

}  // namespace uniad

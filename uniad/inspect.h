#pragma once
// Looking inside a trained reconstruction model (`uniad inspect`, docs/inspect.md): what every
// attention attends to, which keys the neighbour mask hides, how alike the learned queries are,
// and what the model reconstructs. For students of transformer internals and for studying the
// identical shortcut (a model that copies its input reconstructs anomalies too).
//
// inspect_model() runs one eval-mode forward with an AttentionObserver; the numbers are those of
// the normal forward. write_inspection() stores everything in one HDF5 file:
//
//   /features                        float32 [B, C, H, W]  the model's input (as `uniad eval` feeds it)
//   /reconstruction                  float32 [B, C, H, W]
//   /anomaly_map                     float32 [B, H, W]     per-token reconstruction error
//                                                          sqrt(sum_c (f_hat - f)^2), no smoothing
//   /neighbor_mask                   float32 [L, L]        1 where key j is hidden from query i, else 0
//                                                          (transformer kinds only)
//   /attention/<name>                float32 [B, Hd, L, S] softmax weights (before dropout) of the
//                                                          attention <name>, e.g.
//                                                          "encoder.layers.0.self_attn",
//                                                          "decoder.layers.2.multihead_attn";
//                                                          attribute masked = 1 when the mask applied
//   /learned_query/decoder.layers.<i> float32 [L, L]       cosine similarity of layer i's query tokens
//   /learned_query/across_layers     float32 [Q, Q]        mean over tokens t of cos(Q_a[t], Q_b[t])
//                                                          between the Q decoder layers with a query;
//                                                          attribute layers = "0,1,2,3"
//   /images                          int64 [B]             row of each image in the test split
//   /image_names                     strings [B]           "class/defect/file"
//   /labels                          int64 [B]             0 normal, 1 anomalous
//   /tokens                          int64 [T, 2]          the chosen tokens (row, col)
// Root attributes: format ("uniad-inspect 1"), network, checkpoint, config (the run's JSON),
// grid_h, grid_w, attention_order (the attention names in forward order, comma-separated).
// Token index = row * W + col; L = H * W; Hd = heads; S = L (every attention here is over tokens).
#include <string>
#include <utility>
#include <vector>

#include "uniad/model.h"

namespace uniad {

struct Inspection {
  NetworkKind network = NetworkKind::UniAD;
  int64_t grid_h = 0, grid_w = 0;
  Tensor features;        // [B, C, H, W]
  Tensor reconstruction;  // [B, C, H, W]
  Tensor anomaly_map;     // [B, H, W]
  Tensor neighbor_mask;   // [L, L] 1 hidden / 0 visible; undefined for MLP / CNN
  // In forward order: name, weights [B, Hd, L, S], whether the neighbour mask applied.
  struct Attention {
    std::string name;
    Tensor weights;
    bool masked = false;
  };
  std::vector<Attention> attention;
  std::vector<int64_t> query_layers;      // decoder layers with a learned query
  std::vector<Tensor> query_similarity;   // per query layer: [L, L]
  Tensor query_across_layers;             // [Q, Q]; undefined when Q == 0
};

// One eval-mode forward of `features` [B, C, H, W] without gradients. The model is switched to
// eval mode for it and back to its training flag afterwards.
Inspection inspect_model(ReconstructionModel& model, const Tensor& features);

// Cosine similarity of the rows of q [L, D]: [L, L] (float64 sums).
Tensor cosine_similarity_rows(const Tensor& q);

// What the caller chose, stored beside the tensors.
struct InspectRequest {
  std::string checkpoint;   // path, as given
  std::string config_json;  // the run configuration
  std::vector<int64_t> images;            // [B] rows in the test split
  std::vector<std::string> image_names;   // [B] "class/defect/file"
  std::vector<int> labels;                // [B]
  std::vector<std::string> image_paths;   // [B] image files for the composites ("" or unreadable: skipped)
  std::vector<std::pair<int64_t, int64_t>> tokens;  // (row, col)
};

void write_inspection(const std::string& path, const Inspection& ins, const InspectRequest& request);

// PNG renderings into out_dir (paths returned relative to it):
//   attention_<image>_r<row>c<col>.png  one tile per attention (rows, in forward order) and
//                                       head (columns): the chosen token's weights over the
//                                       grid, jet colours scaled to each tile's maximum, the
//                                       token outlined in white, hidden keys hatched dark grey
//   mask_r<row>c<col>.png               the neighbour mask of the token (hidden keys dark)
//   query_similarity_decoder.layers.<i>.png, query_across_layers.png   similarity in [-1, 1]
//   anomaly_<image>.png                 image | image with the defect outline | map blended
//                                       (or the map alone when the image file is not readable)
// <image> is the test-split row. `masks` holds the test ground-truth masks [B, S, S] (or empty).
std::vector<std::string> write_inspection_pngs(const std::string& out_dir, const Inspection& ins,
                                               const InspectRequest& request, const std::vector<uint8_t>& masks,
                                               int64_t mask_size);

}  // namespace uniad

#include "uniad/inspect.h"

#include <cmath>

#include "tensor/error.h"
#include "tensor/hdf5_io.h"
#include "uniad/scoring.h"

namespace uniad {

namespace {

// Which of the config's three mask switches governs the attention called `name`.
bool attention_masked(const ModelConfig& c, const std::string& name) {
  if (name.rfind("encoder.", 0) == 0) return c.mask_encoder;
  if (name.ends_with(".self_attn")) return c.mask_decoder1;
  return c.mask_decoder2;
}

double cosine(const double* a, const double* b, int64_t D) {
  double ab = 0, aa = 0, bb = 0;
  for (int64_t d = 0; d < D; ++d) {
    ab += a[d] * b[d];
    aa += a[d] * a[d];
    bb += b[d] * b[d];
  }
  return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0.0;
}

std::string join(const std::vector<std::string>& parts) {
  std::string s;
  for (const std::string& p : parts) s += (s.empty() ? "" : ",") + p;
  return s;
}

}  // namespace

Tensor cosine_similarity_rows(const Tensor& q) {
  UNIAD_CHECK(q.dim() == 2, "cosine_similarity_rows: expected [L, D], got ", shape_str(q.shape()));
  const int64_t L = q.size(0), D = q.size(1);
  const Tensor q64 = q.to(DType::Float64).contiguous();
  const double* x = q64.data<double>();
  std::vector<double> norm(L);
  for (int64_t i = 0; i < L; ++i) {
    double s = 0;
    for (int64_t d = 0; d < D; ++d) s += x[i * D + d] * x[i * D + d];
    norm[i] = std::sqrt(s);
  }
  Tensor sim = Tensor::zeros({L, L});  // [L, L]
  float* out = sim.data<float>();
  for (int64_t i = 0; i < L; ++i)
    for (int64_t j = i; j < L; ++j) {
      double dot = 0;
      for (int64_t d = 0; d < D; ++d) dot += x[i * D + d] * x[j * D + d];
      const double denom = norm[i] * norm[j];
      // A zero query row has no direction: similarity 0 to others, 1 to itself.
      const double c = denom > 0 ? dot / denom : (i == j ? 1.0 : 0.0);
      out[i * L + j] = out[j * L + i] = static_cast<float>(i == j ? 1.0 : c);
    }
  return sim;
}

Inspection inspect_model(ReconstructionModel& model, const Tensor& features) {
  const ModelConfig& c = model.config();
  Inspection ins;
  ins.network = c.network;
  ins.grid_h = c.grid_h;
  ins.grid_w = c.grid_w;
  ins.features = features.contiguous();

  // Eval mode: no dropout, no jitter. The flag is restored so that a caller's model is unchanged.
  const bool was_training = model.is_training();
  model.eval();
  AttentionObserver observer;
  {
    ag::NoGradGuard no_grad;
    ins.reconstruction = model.forward(ins.features, &observer).data().to(Device::cpu()).contiguous();  // [B, C, H, W]
  }
  if (was_training) model.train();
  const int64_t B = features.size(0);
  ins.anomaly_map = anomaly_map(ins.features, ins.reconstruction).reshape({B, c.grid_h, c.grid_w});  // [B, H, W]

  for (auto& [name, w] : observer.weights) ins.attention.push_back({name, w.to(Device::cpu()).contiguous(), attention_masked(c, name)});

  if (model.neighbor_mask().defined()) {
    const Tensor& m = model.neighbor_mask();  // [L, L] additive: -inf hidden, 0 visible
    const int64_t L = m.size(0);
    std::vector<double> hidden(size_t(L * L));
    const auto values = m.to_vector();
    for (size_t i = 0; i < values.size(); ++i) hidden[i] = std::isinf(values[i]) ? 1.0 : 0.0;
    ins.neighbor_mask = Tensor::from_vector(hidden, {L, L});
  }

  std::vector<Tensor> queries;  // [L, D] each
  if (const auto* decoder = model.decoder_layers())
    for (size_t i = 0; i < decoder->size(); ++i)
      if ((*decoder)[i].has_learned_query()) {
        ins.query_layers.push_back(int64_t(i));
        queries.push_back((*decoder)[i].learned_query().data().to(Device::cpu()));
        ins.query_similarity.push_back(cosine_similarity_rows(queries.back()));
      }
  const int64_t Q = int64_t(queries.size());
  if (Q > 0) {
    // Token t of layer a against token t of layer b, averaged over tokens: do the layers' queries
    // point the same way?
    Tensor across = Tensor::zeros({Q, Q});  // [Q, Q]
    std::vector<std::vector<double>> q;  // Q x [L * D]
    for (const Tensor& t : queries) q.push_back(t.to_vector());
    const int64_t L = queries[0].size(0), D = queries[0].size(1);
    for (int64_t a = 0; a < Q; ++a)
      for (int64_t b = 0; b < Q; ++b) {
        double sum = 0;
        for (int64_t t = 0; t < L; ++t) sum += cosine(&q[a][t * D], &q[b][t * D], D);
        across.set({a, b}, sum / double(L));
      }
    ins.query_across_layers = across;
  }
  return ins;
}

void write_inspection(const std::string& path, const Inspection& ins, const InspectRequest& request) {
  h5::File f = h5::File::create(path);
  f.set_attr("/", "format", "uniad-inspect 1");
  f.set_attr("/", "network", network_kind_name(ins.network));
  f.set_attr("/", "checkpoint", request.checkpoint);
  f.set_attr("/", "config", request.config_json);
  f.set_attr("/", "grid_h", ins.grid_h);
  f.set_attr("/", "grid_w", ins.grid_w);
  std::vector<std::string> order;
  for (const auto& a : ins.attention) order.push_back(a.name);
  f.set_attr("/", "attention_order", join(order));

  f.write("/features", ins.features);
  f.write("/reconstruction", ins.reconstruction);
  f.write("/anomaly_map", ins.anomaly_map);
  if (ins.neighbor_mask.defined()) f.write("/neighbor_mask", ins.neighbor_mask);
  for (const auto& a : ins.attention) {
    f.write("/attention/" + a.name, a.weights);
    f.set_attr("/attention/" + a.name, "masked", int64_t(a.masked ? 1 : 0));
  }
  std::vector<std::string> layers;
  for (size_t i = 0; i < ins.query_layers.size(); ++i) {
    const std::string name = "decoder.layers." + std::to_string(ins.query_layers[i]);
    f.write("/learned_query/" + name, ins.query_similarity[i]);
    layers.push_back(std::to_string(ins.query_layers[i]));
  }
  if (ins.query_across_layers.defined()) {
    f.write("/learned_query/across_layers", ins.query_across_layers);
    f.set_attr("/learned_query/across_layers", "layers", join(layers));
  }

  const int64_t B = int64_t(request.images.size()), T = int64_t(request.tokens.size());
  f.write("/images", Tensor::from_indices(request.images, {B}));
  f.write_strings("/image_names", request.image_names);
  f.write("/labels", Tensor::from_indices(std::vector<int64_t>(request.labels.begin(), request.labels.end()), {B}));
  std::vector<int64_t> tokens;
  for (const auto& [r, col] : request.tokens) tokens.insert(tokens.end(), {r, col});
  f.write("/tokens", Tensor::from_indices(tokens, {T, 2}));
  f.close();
}

}  // namespace uniad

// Masked scaled-dot-product attention: the fused op (one node wrapping tensor/attention.h's
// kernels) and the composed reference built from matmul, softmax and a dropout multiply.
#include "autograd/functions.h"
#include "tensor/attention.h"

namespace uniad::ag {

namespace {

void check_inputs(const Variable& q, const Variable& k, const Variable& v, const Variable& mask, double p) {
  UNIAD_CHECK(q.defined() && k.defined() && v.defined(), "scaled_dot_attention: undefined q, k or v");
  UNIAD_CHECK(q.dim() == 3 && k.dim() == 3 && v.dim() == 3, "scaled_dot_attention: expected q [N, L, hd], ",
              "k [N, S, hd], v [N, S, hv], got ", shape_str(q.shape()), ", ", shape_str(k.shape()), ", ",
              shape_str(v.shape()));
  if (mask.defined())
    UNIAD_CHECK(mask.shape() == Shape({q.size(1), k.size(1)}), "scaled_dot_attention: mask ", shape_str(mask.shape()),
                " must be [L, S] = [", q.size(1), ", ", k.size(1), "]");
  UNIAD_CHECK(p >= 0.0 && p <= 1.0, "scaled_dot_attention: dropout probability ", p, " is outside [0, 1]");
}

// The dropout of this call: one key from the generator, only when it drops anything.
ops::AttentionDropout draw_dropout(double p, bool training, Generator& gen) {
  if (!training || p == 0.0) return {};
  return {p, gen.next_u64()};
}

}  // namespace

AttentionResult scaled_dot_attention(const Variable& q, const Variable& k, const Variable& v, const Variable& mask,
                                     double dropout_p, bool training, Generator& gen, bool need_weights) {
  // The mask's gradient is not computed by the fused kernels (UniAD's neighbour mask is constant).
  if (mask.defined() && mask.requires_grad() && grad_enabled())
    return scaled_dot_attention_reference(q, k, v, mask, dropout_p, training, gen, need_weights);
  check_inputs(q, k, v, mask, dropout_p);
  const ops::AttentionDropout dropout = draw_dropout(dropout_p, training, gen);
  const bool need_q = q.requires_grad(), need_k = k.requires_grad(), need_v = v.requires_grad();
  const bool recording = grad_enabled() && (need_q || need_k || need_v);
  const Tensor qt = q.data(), kt = k.data(), vt = v.data();
  // P [N, L, S] and the keep bits are stored only for backward or for the caller's weights.
  const auto saved = std::make_shared<ops::AttentionSaved>(
      ops::attention_forward(qt, kt, vt, mask.defined() ? mask.data() : Tensor(), dropout, recording || need_weights));

  AttentionResult out;
  if (need_weights) out.weights = Variable(saved->probs);  // [N, L, S], a constant
  const Tensor context = saved->context;                   // [N, L, hv]
  saved->context = Tensor();                                // the backward pass needs only P (and bits)
  if (!recording) saved->probs = saved->keep = Tensor();  // nothing to keep for a backward pass
  out.context = make_result(context, "scaled_dot_attention", {q, k, v},
                            [qt, kt, vt, saved, dropout, need_q, need_k, need_v](const Tensor& g) {
                              ops::AttentionGrads d =
                                  ops::attention_backward(g, qt, kt, vt, *saved, dropout, need_q, need_k, need_v);
                              return std::vector<Tensor>{d.dq, d.dk, d.dv};
                            });
  return out;
}

AttentionResult scaled_dot_attention_reference(const Variable& q, const Variable& k, const Variable& v,
                                               const Variable& mask, double dropout_p, bool training, Generator& gen,
                                               bool need_weights) {
  check_inputs(q, k, v, mask, dropout_p);
  const ops::AttentionDropout dropout = draw_dropout(dropout_p, training, gen);
  Variable scores = matmul(q, transpose(k, 1, 2));  // [N, L, S]
  Variable weights = softmax(scores, mask);         // [N, L, S]; the mask broadcasts over N
  Variable dropped = weights;
  if (dropout.active()) {  // the fused kernel's mask, as 0 or 1 / (1 - p), on the weights' device
    const Tensor scale = ops::attention_dropout_scale(weights.shape(), weights.dtype(), dropout, q.data().device());
    dropped = mul(weights, Variable(scale));
  }
  AttentionResult out;
  out.context = matmul(dropped, v);  // [N, L, hv]
  if (need_weights) out.weights = weights;
  return out;
}

}  // namespace uniad::ag

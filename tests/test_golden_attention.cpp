// Golden comparison of masked multi-head attention against PyTorch's
// F.multi_head_attention_forward (see golden_util.h). Our twin is composed from ag:: primitives
// exactly as nn/ will compose it, so this checks the composition (packed projections, head
// split, scaling, mask, merge), not only the primitives.
#include <cmath>

#include "golden_util.h"

using namespace uniad;
using namespace uniad::ag;
using test::GoldenCase;
using test::run_golden_family;

namespace {

// [L, B, D] -> [B, H, L, hd]: head h owns features h*hd .. (h+1)*hd-1, as in torch.
Variable split_heads(const Variable& t, int64_t heads) {
  const int64_t L = t.size(0), B = t.size(1), D = t.size(2);
  return permute(reshape(t, {L, B, heads, D / heads}), {1, 2, 0, 3});
}

// [B, H, L, hd] -> [L, B, D], the inverse of split_heads.
Variable merge_heads(const Variable& t) {
  const int64_t B = t.size(0), H = t.size(1), L = t.size(2), hd = t.size(3);
  return reshape(permute(t, {2, 0, 1, 3}), {L, B, H * hd});
}

}  // namespace

TEST_CASE("golden: masked multi-head attention composed from primitives") {
  run_golden_family("attention", [](GoldenCase& c) {
    const int64_t heads = c.param_int("heads");
    const Variable query = c.input("query"), key = c.input("key"), value = c.input("value");  // [L, B, D]
    const Variable in_w = c.input("in_proj_weight"), in_b = c.input("in_proj_bias");        // [3D, D], [3D]
    const Variable out_w = c.input("out_proj_weight"), out_b = c.input("out_proj_bias");    // [D, D], [D]
    const Variable mask(c.constant("mask"));                                                 // [L, L]
    const int64_t D = query.size(2), hd = D / heads;

    // The packed projection holds q, k, v rows one after another (torch's in_proj layout).
    const auto w = split(in_w, {D, D, D}, 0);
    const auto b = split(in_b, {D, D, D}, 0);
    const Variable q = split_heads(linear(query, w[0], b[0]), heads);  // [B, H, L, hd]
    const Variable k = split_heads(linear(key, w[1], b[1]), heads);
    const Variable v = split_heads(linear(value, w[2], b[2]), heads);

    // Scores are scaled before the mask is added, as in UniAD and torch.
    const Variable scores = mul_scalar(matmul(q, transpose(k, -1, -2)), 1.0 / std::sqrt(double(hd)));  // [B, H, L, L]
    const Variable attn = softmax(scores, mask);
    return linear(merge_heads(matmul(attn, v)), out_w, out_b);  // [L, B, D]
  });
}

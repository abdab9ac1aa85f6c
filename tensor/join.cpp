#include "tensor/join.h"

namespace uniad::ops {

Tensor concat(const std::vector<Tensor>& xs, int64_t axis) {
  UNIAD_CHECK(!xs.empty(), "concat: no tensors given");
  const Shape& first = xs[0].shape();
  const int a = normalize_axis(axis, static_cast<int64_t>(first.size()), "concat");
  Shape out_shape = first;
  out_shape[a] = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Shape& s = xs[i].shape();
    bool ok = s.size() == first.size() && xs[i].dtype() == xs[0].dtype();
    for (size_t d = 0; ok && d < s.size(); ++d) ok = static_cast<int>(d) == a || s[d] == first[d];
    UNIAD_CHECK(ok, "concat: tensor ", i, " ", dtype_name(xs[i].dtype()), " ", shape_str(s),
                " does not match tensor 0 ", dtype_name(xs[0].dtype()), " ", shape_str(first), " outside axis ", a);
    UNIAD_CHECK(xs[i].device() == xs[0].device(), "concat: tensor ", i, " is on ", xs[i].device().str(),
                ", tensor 0 on ", xs[0].device().str());
    out_shape[a] += s[a];
  }
  Tensor out = Tensor::empty(out_shape, xs[0].dtype(), xs[0].device());
  int64_t start = 0;
  for (const Tensor& x : xs) {
    Tensor part = out.slice(a, start, start + x.shape()[a]);
    part.copy_(x);
    start += x.shape()[a];
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& xs, int64_t axis) {
  UNIAD_CHECK(!xs.empty(), "stack: no tensors given");
  const int a = normalize_axis(axis, xs[0].dim() + 1, "stack");
  std::vector<Tensor> parts;
  for (size_t i = 0; i < xs.size(); ++i) {
    UNIAD_CHECK(xs[i].shape() == xs[0].shape(), "stack: tensor ", i, " has shape ", shape_str(xs[i].shape()),
                ", tensor 0 has ", shape_str(xs[0].shape()));
    parts.push_back(xs[i].unsqueeze(a));
  }
  return concat(parts, a);
}

}  // namespace uniad::ops

// Row gather (embedding lookup) and its scatter-add backward on the GPU; the CPU twins are in
// tensor/gather.cpp, which has already checked every index against [0, V) on the host.
//
// Letters: V rows of the table, D features per row, P positions (indices.numel()).
#include <vector>

#include "tensor/cuda/common.cuh"

namespace uniad::cuda {

namespace {

// out[p, d] = weight[indices[p], d], one thread per output element.
// weight [V, D] contiguous, indices [P], out [P, D].
template <typename T>
__global__ void gather_rows_kernel(const T* weight, const int64_t* indices, T* out, int64_t P, int64_t D) {
  UNIAD_GRID_LOOP(i, P * D) {
    const int64_t p = i / D, d = i - p * D;
    out[i] = weight[indices[p] * D + d];
  }
}

// grad_weight[v, d] = sum of grad[p, d] over the positions p of row v, one thread per output
// element. Row v's positions are positions[offsets[v] .. offsets[v + 1]) in increasing order,
// and the sum starts from zero and adds them in that order: exactly the CPU's serial loop, so
// the result is the same bits, and no two threads ever write one element (no atomics).
// grad [P, D] contiguous, offsets [V + 1], positions [P], grad_weight [V, D].
template <typename T>
__global__ void scatter_add_rows_kernel(const T* grad, const int64_t* offsets, const int64_t* positions,
                                        T* grad_weight, int64_t V, int64_t D) {
  UNIAD_GRID_LOOP(i, V * D) {
    const int64_t v = i / D, d = i - v * D;
    T sum = T(0);
    for (int64_t k = offsets[v]; k < offsets[v + 1]; ++k) sum += grad[positions[k] * D + d];
    grad_weight[i] = sum;
  }
}

// The positions of each row, grouped by row and increasing within a row (a counting sort):
// row v's positions are positions[offsets[v] .. offsets[v + 1]).
struct RowPositions {
  std::vector<int64_t> offsets;    // [V + 1]
  std::vector<int64_t> positions;  // [P]
};

RowPositions group_by_row(const Tensor& host_indices, int64_t V) {
  const int64_t P = host_indices.numel();
  const int64_t* ip = host_indices.data<int64_t>();
  RowPositions r;
  r.offsets.assign(static_cast<size_t>(V + 1), 0);
  r.positions.resize(static_cast<size_t>(P));
  for (int64_t p = 0; p < P; ++p) ++r.offsets[static_cast<size_t>(ip[p] + 1)];
  for (int64_t v = 0; v < V; ++v) r.offsets[static_cast<size_t>(v + 1)] += r.offsets[static_cast<size_t>(v)];
  std::vector<int64_t> next(r.offsets.begin(), r.offsets.end() - 1);  // the next free slot of each row
  for (int64_t p = 0; p < P; ++p) r.positions[static_cast<size_t>(next[static_cast<size_t>(ip[p])]++)] = p;
  return r;
}

}  // namespace

Tensor gather_rows(const Tensor& weight, const Tensor& indices, const char* op) {
  const int64_t D = weight.size(1), P = indices.numel();
  Shape out_shape = indices.shape();
  out_shape.push_back(D);
  return dispatch_float(weight.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const Tensor table = weight.contiguous();                               // [V, D]
    Tensor out = Tensor::empty(out_shape, weight.dtype(), weight.device());  // [..., D]
    if (P * D == 0) return out;
    gather_rows_kernel<T><<<grid_for(P * D), kThreads, 0, stream()>>>(table.data<T>(), indices.data<int64_t>(),
                                                                     out.data<T>(), P, D);
    check_launch("gather_rows_kernel", op);
    return out;
  });
}

Tensor scatter_add_rows(const Tensor& grad, const Tensor& host_indices, int64_t num_rows, const char* op) {
  const int64_t V = num_rows, D = grad.size(-1);
  return dispatch_float(grad.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    Tensor out = Tensor::empty({V, D}, grad.dtype(), grad.device());  // [V, D]
    if (V * D == 0) return out;
    const RowPositions rows = group_by_row(host_indices, V);
    const Tensor offsets = Tensor::from_indices(rows.offsets, {V + 1}).to(grad.device());
    const Tensor positions = Tensor::from_indices(rows.positions, {host_indices.numel()}).to(grad.device());
    const Tensor g = grad.contiguous();  // [P, D] in row-major order
    scatter_add_rows_kernel<T><<<grid_for(V * D), kThreads, 0, stream()>>>(
        g.data<T>(), offsets.data<int64_t>(), positions.data<int64_t>(), out.data<T>(), V, D);
    check_launch("scatter_add_rows_kernel", op);
    return out;
  });
}

}  // namespace uniad::cuda

// Matrix products on the GPU: ops::matmul and ops::gemm_into through one cuBLAS strided-batched
// GEMM (tensor/cuda/cublas.cuh). No kernel of our own: the work here is describing each operand
// to cuBLAS without copying it where a view allows.
//
//   a [..., M, K] x b [..., K, N] -> out [..., M, N], batch axes broadcast
//
// cuBLAS reads a matrix in place when one of its two strides is 1 (a transposed view is read as
// such), and a batch in place when consecutive items sit one fixed stride apart (0 repeats one
// matrix for every item, which is how [B, M, K] x [K, N] broadcasts). Anything else is first
// copied to a contiguous tensor on the GPU.
#include "tensor/cuda/cublas.cuh"

namespace uniad::cuda {

namespace {

// One operand ready for cuBLAS: the tensor to read (the input or a contiguous copy) and the
// strides of its rows, columns and batch items.
struct Operand {
  Tensor t;
  int64_t row_stride = 0, col_stride = 0, batch_stride = 0;
};

// The (row, column) strides of t's last two axes as cuBLAS should see them, or false when
// neither is a unit stride. Strides of length-1 axes are never used, so they are replaced by
// values that keep cuBLAS's leading-dimension rules (the same normalisation as the CPU GEMM).
bool matrix_strides(const Tensor& t, int64_t& rs, int64_t& cs) {
  const int64_t rows = t.size(-2), cols = t.size(-1);
  rs = t.strides()[t.dim() - 2];
  cs = t.strides()[t.dim() - 1];
  if (cols == 1) cs = 1;
  if (rows == 1) rs = cs == 1 ? cols : 1;
  return (cs == 1 && rs >= cols) || (rs == 1 && cs >= rows);
}

// The one stride between consecutive items of t's batch axes read as broadcast to `batch`
// (row-major item order), or -1 when the items are not evenly spaced (a permuted batch, or a
// broadcast axis between two real ones).
int64_t uniform_batch_stride(const Tensor& t, const Shape& batch) {
  const int64_t lead = static_cast<int64_t>(batch.size()) - (t.dim() - 2);  // batch axes t lacks
  int64_t stride = -1;  // set by the innermost axis longer than 1
  int64_t span = 1;     // items per step along axis d
  for (int64_t d = static_cast<int64_t>(batch.size()) - 1; d >= 0; --d) {
    if (batch[d] != 1) {
      // t's step along axis d: 0 where t lacks the axis or broadcasts it from length 1.
      const int64_t step = d < lead || t.size(d - lead) == 1 ? 0 : t.strides()[d - lead];
      if (stride < 0) stride = step / span;
      if (step != stride * span) return -1;
    }
    span *= batch[d];
  }
  return stride < 0 ? 0 : stride;
}

// A 2-D operand as cuBLAS reads it: in place when one stride is 1, else a contiguous copy.
Operand prepare(const Tensor& t) {
  Operand op{t};
  if (!matrix_strides(op.t, op.row_stride, op.col_stride)) {
    op.t = t.contiguous();
    matrix_strides(op.t, op.row_stride, op.col_stride);
  }
  return op;
}

// An operand of a product whose batch axes are `batch`: in place when possible, else a
// contiguous copy, else (a broadcast cuBLAS cannot stride through, e.g. [B, 1] against [1, H])
// a copy expanded to the whole batch.
Operand prepare(const Tensor& t, const Shape& batch) {
  Operand op = prepare(t);
  op.batch_stride = uniform_batch_stride(op.t, batch);
  if (op.batch_stride < 0) {
    op.t = op.t.contiguous();
    op.batch_stride = uniform_batch_stride(op.t, batch);
  }
  if (op.batch_stride < 0) {
    Shape full = batch;
    full.push_back(t.size(-2));
    full.push_back(t.size(-1));
    op.t = op.t.expand(full).contiguous();
    op.batch_stride = t.size(-2) * t.size(-1);
  }
  matrix_strides(op.t, op.row_stride, op.col_stride);
  return op;
}

template <typename T>
GemmOperand<T> gemm_operand(const Operand& op) {
  return {op.t.data<T>(), op.row_stride, op.col_stride, op.batch_stride};
}

}  // namespace

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  const int64_t M = a_in.size(-2), K = a_in.size(-1), N = b_in.size(-1);
  const Shape a_batch(a_in.shape().begin(), a_in.shape().end() - 2);
  const Shape b_batch(b_in.shape().begin(), b_in.shape().end() - 2);
  const Shape batch = broadcast_shapes(a_batch, b_batch, "matmul (batch axes)");
  const int64_t items = numel_of(batch);
  Shape out_shape = batch;
  out_shape.push_back(M);
  out_shape.push_back(N);
  if (numel_of(out_shape) == 0 || K == 0) return Tensor::zeros(out_shape, a_in.dtype(), a_in.device());
  Tensor out = Tensor::empty(out_shape, a_in.dtype(), a_in.device());  // [..., M, N]

  Operand a = prepare(a_in, batch), b = prepare(b_in, batch);
  // One matrix b for every item and a's rows packed back to back: a single [items * M, K] x
  // [K, N] product (the tall GEMM cuBLAS is fastest at) instead of `items` small ones.
  const bool fold = items > 1 && b.batch_stride == 0 && a_in.is_contiguous() && numel_of(a_batch) == items;
  if (fold) a = prepare(a_in.view({items * M, K}));
  dispatch_float(out.dtype(), "matmul", [&](auto tag) {
    using T = decltype(tag);
    if (fold)
      gemm_strided_batched<T>(items * M, N, K, gemm_operand<T>(a), gemm_operand<T>(b), out.data<T>(), N, 0, 1, 1.0, 0.0,
                              "matmul");
    else
      gemm_strided_batched<T>(M, N, K, gemm_operand<T>(a), gemm_operand<T>(b), out.data<T>(), N, M * N, items, 1.0,
                              0.0, "matmul");
  });
  return out;
}

void gemm_into(Tensor& out, const Tensor& a_in, const Tensor& b_in, bool accumulate) {
  const int64_t M = a_in.size(0), K = a_in.size(1), N = b_in.size(1);
  if (M == 0 || N == 0) return;
  if (K == 0) {  // an empty sum: out keeps its value or becomes 0
    if (!accumulate) out.fill_(0.0);
    return;
  }
  const Operand a = prepare(a_in), b = prepare(b_in);
  dispatch_float(out.dtype(), "gemm_into", [&](auto tag) {
    using T = decltype(tag);
    gemm_strided_batched<T>(M, N, K, gemm_operand<T>(a), gemm_operand<T>(b), out.data<T>(), N, M * N, 1, 1.0,
                            accumulate ? 1.0 : 0.0, "gemm_into");
  });
}

}  // namespace uniad::cuda

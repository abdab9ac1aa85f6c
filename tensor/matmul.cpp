#include "tensor/matmul.h"

#include <Eigen/Core>
#include <omp.h>

#include "tensor/cuda/backend.h"
#include "tensor/gemm_avx2.h"
#include "tensor/gemm_avx512.h"
#include "tensor/strided_loop.h"

namespace uniad::ops {

namespace {

template <typename T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using ColMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
using OuterStride = Eigen::OuterStride<Eigen::Dynamic>;

// How a 2-D view (the last two axes) maps onto an Eigen matrix without copying.
struct GemmLayout {
  bool row_major = true;
  int64_t ld = 0;  // leading dimension (outer stride) in elements
};

// Returns false when neither axis has unit stride (then the caller copies).
bool eigen_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs, GemmLayout& layout) {
  if (cols == 1) cs = 1;                   // a single column: its stride is never used
  if (rows == 1) rs = cs == 1 ? cols : 1;  // a single row: likewise
  if (cs == 1 && rs >= cols) {
    layout = {true, rs};
    return true;
  }
  if (rs == 1 && cs >= rows) {
    layout = {false, cs};
    return true;
  }
  return false;
}

GemmBackend g_backend = GemmBackend::Auto;

// Multiplies two strided 2-D blocks into a row-major output with leading dimension out_ld.
template <typename T>
void gemm_block(T* out, int64_t out_ld, const T* a, GemmLayout la, const T* b, GemmLayout lb, int64_t M, int64_t K,
                int64_t N, bool accumulate) {
  if constexpr (std::is_same_v<T, float>) {
    const int64_t a_rs = la.row_major ? la.ld : 1, a_cs = la.row_major ? 1 : la.ld;
    const int64_t b_rs = lb.row_major ? lb.ld : 1, b_cs = lb.row_major ? 1 : lb.ld;
    if (g_backend == GemmBackend::Auto && detail::sgemm_avx512_available()) {
      detail::sgemm_avx512(M, N, K, a, a_rs, a_cs, b, b_rs, b_cs, out, out_ld, accumulate);
      return;
    }
    if (g_backend != GemmBackend::Eigen && detail::sgemm_avx2_available()) {
      detail::sgemm_avx2(M, N, K, a, a_rs, a_cs, b, b_rs, b_cs, out, out_ld, accumulate);
      return;
    }
  }
  Eigen::Map<RowMat<T>, 0, OuterStride> C(out, M, N, OuterStride(out_ld));
  auto with_a = [&](const auto& A) {
    auto with_b = [&](const auto& B) {
      if (accumulate) C.noalias() += A * B;
      else C.noalias() = A * B;
    };
    if (lb.row_major) with_b(Eigen::Map<const RowMat<T>, 0, OuterStride>(b, K, N, OuterStride(lb.ld)));
    else with_b(Eigen::Map<const ColMat<T>, 0, OuterStride>(b, K, N, OuterStride(lb.ld)));
  };
  if (la.row_major) with_a(Eigen::Map<const RowMat<T>, 0, OuterStride>(a, M, K, OuterStride(la.ld)));
  else with_a(Eigen::Map<const ColMat<T>, 0, OuterStride>(a, M, K, OuterStride(la.ld)));
}

// The operand itself when its last two axes map onto Eigen directly, else a contiguous copy.
Tensor gemm_ready(const Tensor& t, GemmLayout& layout) {
  const int64_t d = t.dim();
  const int64_t rows = t.shape()[d - 2], cols = t.shape()[d - 1];
  if (eigen_layout(rows, cols, t.strides()[d - 2], t.strides()[d - 1], layout)) return t;
  Tensor c = t.contiguous();
  eigen_layout(rows, cols, c.strides()[d - 2], c.strides()[d - 1], layout);
  return c;
}

}  // namespace

void set_gemm_backend(GemmBackend backend) { g_backend = backend; }
GemmBackend gemm_backend() { return g_backend; }

namespace {
MatmulPrecision g_precision = MatmulPrecision::Float32;
}  // namespace

void set_matmul_precision(MatmulPrecision precision) { g_precision = precision; }
MatmulPrecision matmul_precision() { return g_precision; }

const char* matmul_precision_name(MatmulPrecision precision) {
  switch (precision) {
    case MatmulPrecision::Float32: return "fp32";
    case MatmulPrecision::TF32: return "tf32";
    case MatmulPrecision::BF16: return "bf16";
  }
  return "?";
}

MatmulPrecision parse_matmul_precision(const std::string& text) {
  for (MatmulPrecision p : {MatmulPrecision::Float32, MatmulPrecision::TF32, MatmulPrecision::BF16})
    if (text == matmul_precision_name(p)) return p;
  throw Error(cat("matmul precision: '", text, "' is not one of fp32, tf32, bf16"));
}

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  UNIAD_CHECK(a_in.defined() && b_in.defined(), "matmul: undefined operand");
  UNIAD_CHECK(a_in.dim() >= 2 && b_in.dim() >= 2, "matmul: operands need at least 2 dimensions, got a ",
              shape_str(a_in.shape()), " and b ", shape_str(b_in.shape()));
  UNIAD_CHECK(a_in.dtype() == b_in.dtype(), "matmul: dtypes differ: a ", dtype_name(a_in.dtype()), " ",
              shape_str(a_in.shape()), " vs b ", dtype_name(b_in.dtype()), " ", shape_str(b_in.shape()));
  const int64_t M = a_in.size(-2), K = a_in.size(-1), N = b_in.size(-1);
  UNIAD_CHECK(b_in.size(-2) == K, "matmul: inner dimensions differ: a ", shape_str(a_in.shape()), " vs b ",
              shape_str(b_in.shape()));
  const Shape a_batch(a_in.shape().begin(), a_in.shape().end() - 2);
  const Shape b_batch(b_in.shape().begin(), b_in.shape().end() - 2);
  const Shape batch = broadcast_shapes(a_batch, b_batch, "matmul (batch axes)");
  if (cuda::on_gpu("matmul", a_in, b_in)) return cuda::matmul(a_in, b_in);

  // [..., M, K] x [K, N] with row-major leading axes: one big GEMM over all rows at once.
  if (b_in.dim() == 2 && a_in.dim() > 2 && a_in.is_contiguous()) {
    Shape out_shape = batch;
    out_shape.push_back(M);
    out_shape.push_back(N);
    Tensor out2d = matmul(a_in.view({-1, K}), b_in);
    return out2d.view(out_shape);
  }

  GemmLayout la, lb;
  const Tensor a = gemm_ready(a_in, la), b = gemm_ready(b_in, lb);
  Shape out_shape = batch;
  out_shape.push_back(M);
  out_shape.push_back(N);
  Tensor out = Tensor::empty(out_shape, a.dtype());
  if (out.numel() == 0) return out;

  // Per-operand strides over the broadcast batch axes (0 where broadcast).
  const Shape a_bs = broadcast_strides(a_batch, Shape(a.strides().begin(), a.strides().end() - 2), batch);
  const Shape b_bs = broadcast_strides(b_batch, Shape(b.strides().begin(), b.strides().end() - 2), batch);
  const int64_t nbatch = numel_of(batch);

  dispatch_float(a.dtype(), "matmul", [&](auto tag) {
    using T = decltype(tag);
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* po = out.data<T>();
    auto one = [&](int64_t i) {
      int64_t rem = i, oa = 0, ob = 0;
      for (int d = static_cast<int>(batch.size()) - 1; d >= 0; --d) {
        const int64_t idx = rem % batch[d];
        rem /= batch[d];
        oa += idx * a_bs[d];
        ob += idx * b_bs[d];
      }
      if (K == 0) {
        std::fill(po + i * M * N, po + (i + 1) * M * N, T(0));
        return;
      }
      gemm_block<T>(po + i * M * N, N, pa + oa, la, pb + ob, lb, M, K, N, false);
    };
    // Many small products (attention heads): one product per thread. Few large ones: let
    // the GEMM split each product across threads.
    if (nbatch >= omp_get_max_threads() && nbatch > 1) {
#pragma omp parallel for schedule(static)
      for (int64_t i = 0; i < nbatch; ++i) one(i);
    } else {
      for (int64_t i = 0; i < nbatch; ++i) one(i);
    }
  });
  return out;
}

void gemm_into(Tensor& out, const Tensor& a_in, const Tensor& b_in, bool accumulate) {
  UNIAD_CHECK(a_in.dim() == 2 && b_in.dim() == 2 && out.dim() == 2, "gemm_into: expected 2-D operands, got a ",
              shape_str(a_in.shape()), ", b ", shape_str(b_in.shape()), ", out ", shape_str(out.shape()));
  const int64_t M = a_in.size(0), K = a_in.size(1), N = b_in.size(1);
  UNIAD_CHECK(b_in.size(0) == K && out.size(0) == M && out.size(1) == N, "gemm_into: shapes do not chain: a ",
              shape_str(a_in.shape()), ", b ", shape_str(b_in.shape()), ", out ", shape_str(out.shape()));
  UNIAD_CHECK(out.is_contiguous(), "gemm_into: output ", shape_str(out.shape()), " must be contiguous");
  UNIAD_CHECK(a_in.dtype() == b_in.dtype() && a_in.dtype() == out.dtype(), "gemm_into: dtypes differ");
  if (cuda::on_gpu("gemm_into", out, a_in, b_in)) return cuda::gemm_into(out, a_in, b_in, accumulate);
  GemmLayout la, lb;
  const Tensor a = gemm_ready(a_in, la), b = gemm_ready(b_in, lb);
  if (K == 0) {
    if (!accumulate) out.fill_(0.0);
    return;
  }
  dispatch_float(a.dtype(), "gemm_into", [&](auto tag) {
    using T = decltype(tag);
    gemm_block<T>(out.data<T>(), N, a.data<T>(), la, b.data<T>(), lb, M, K, N, accumulate);
  });
}

namespace {

template <typename T>
void gemm_raw_impl(int64_t M, int64_t N, int64_t K, const T* a, int64_t a_rs, int64_t a_cs, const T* b, int64_t b_rs,
                   int64_t b_cs, T* c, int64_t ldc, bool accumulate) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!accumulate)
      for (int64_t i = 0; i < M; ++i) std::fill(c + i * ldc, c + i * ldc + N, T(0));
    return;
  }
  GemmLayout la, lb;
  UNIAD_CHECK(eigen_layout(M, K, a_rs, a_cs, la) && eigen_layout(K, N, b_rs, b_cs, lb),
              "gemm_raw: each operand needs a unit stride, got a (", a_rs, ", ", a_cs, ") and b (", b_rs, ", ", b_cs,
              ")");
  gemm_block<T>(c, ldc, a, la, b, lb, M, K, N, accumulate);
}

}  // namespace

void gemm_raw(int64_t M, int64_t N, int64_t K, const float* a, int64_t a_rs, int64_t a_cs, const float* b,
              int64_t b_rs, int64_t b_cs, float* c, int64_t ldc, bool accumulate) {
  gemm_raw_impl(M, N, K, a, a_rs, a_cs, b, b_rs, b_cs, c, ldc, accumulate);
}
void gemm_raw(int64_t M, int64_t N, int64_t K, const double* a, int64_t a_rs, int64_t a_cs, const double* b,
              int64_t b_rs, int64_t b_cs, double* c, int64_t ldc, bool accumulate) {
  gemm_raw_impl(M, N, K, a, a_rs, a_cs, b, b_rs, b_cs, c, ldc, accumulate);
}

}  // namespace uniad::ops

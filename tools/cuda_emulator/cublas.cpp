// cuBLAS emulated: cublasGemmStridedBatchedEx as a column-major reference GEMM that first checks
// the arguments as cuBLAS does (and says which rule failed), and rounds the inputs of the
// TF32 / BF16 compute types so that those modes lose what the GPU's tensor cores lose.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cublas_v2.h"

namespace {

cublasStatus_t refuse(cublasStatus_t status, const std::string& why) {
  std::fprintf(stderr, "[cuda emulator] cublasGemmStridedBatchedEx: %s\n", why.c_str());
  return status;
}

// UNIAD_EMU_TRUNCATE=1: tensor-core inputs lose their low mantissa bits by truncation (what
// the hardware does with operands that were not rounded first) instead of rounding to nearest.
bool truncate_inputs() {
  static const bool truncate = [] {
    const char* v = std::getenv("UNIAD_EMU_TRUNCATE");
    return v && v[0] == '1';
  }();
  return truncate;
}

// A float kept to `keep` mantissa bits (TF32: 10, BF16: 7), rounded to nearest even.
float round_mantissa(float x, int keep) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  if ((bits & 0x7f800000u) == 0x7f800000u) return x;  // inf / NaN unchanged
  const int drop = 23 - keep;
  const uint32_t half = truncate_inputs() ? 0 : (1u << (drop - 1)) - 1 + ((bits >> drop) & 1u);
  bits = (bits + half) & ~((1u << drop) - 1);
  float r;
  std::memcpy(&r, &bits, 4);
  return r;
}

template <typename T>
void reference_gemm(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, double alpha, const T* A,
                    int lda, long long sa, const T* B, int ldb, long long sb, double beta, T* C, int ldc,
                    long long sc, int batch, int keep_bits) {
  // op(A) as [m, k] and op(B)^T as [n, k], rows contiguous, in double (exact for float inputs).
  std::vector<double> a(static_cast<std::size_t>(m) * k), bt(static_cast<std::size_t>(n) * k);
  auto in = [&](T v) { return keep_bits ? double(round_mantissa(float(v), keep_bits)) : double(v); };
  for (int q = 0; q < batch; ++q) {
    const T* Aq = A + q * sa;
    const T* Bq = B + q * sb;
    T* Cq = C + q * sc;
    for (int i = 0; i < m; ++i)
      for (int l = 0; l < k; ++l)
        a[std::size_t(i) * k + l] = in(ta == CUBLAS_OP_N ? Aq[i + std::size_t(l) * lda] : Aq[l + std::size_t(i) * lda]);
    for (int j = 0; j < n; ++j)
      for (int l = 0; l < k; ++l)
        bt[std::size_t(j) * k + l] = in(tb == CUBLAS_OP_N ? Bq[l + std::size_t(j) * ldb] : Bq[j + std::size_t(l) * ldb]);
#pragma omp parallel for schedule(static)
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < m; ++i) {
        const double* ai = &a[std::size_t(i) * k];
        const double* bj = &bt[std::size_t(j) * k];
        double s = 0;
        for (int l = 0; l < k; ++l) s += ai[l] * bj[l];
        T& c = Cq[i + std::size_t(j) * ldc];
        // beta == 0: C is not read (it may hold NaN), as BLAS specifies.
        c = static_cast<T>(beta == 0 ? alpha * s : alpha * s + beta * double(c));
      }
  }
}

// Whether two batches of C share an element: C_q(i, j) sits at q * sc + i + j * ldc.
bool c_batches_overlap(int m, int n, int ldc, long long sc, int batch) {
  if (batch <= 1 || m == 0 || n == 0) return false;
  const long long step = std::llabs(sc);
  if (step >= 1LL * ldc * (n - 1) + m) return false;       // one batch after another
  if (step >= m && step * (batch - 1) + m <= ldc) return false;  // side by side within each column
  if (step == 0) return true;
  // Otherwise mark every element (small problems only; larger ones are let through).
  const long long span = step * (batch - 1) + 1LL * ldc * (n - 1) + m;
  if (span > (1LL << 26)) return false;
  std::vector<bool> seen(span);
  for (int q = 0; q < batch; ++q)
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < m; ++i) {
        const long long at = q * step + i + 1LL * j * ldc;
        if (seen[at]) return true;
        seen[at] = true;
      }
  return false;
}

const char* op_name(cublasOperation_t op) { return op == CUBLAS_OP_N ? "N" : op == CUBLAS_OP_T ? "T" : "C"; }

}  // namespace

cublasStatus_t cublasCreate(cublasHandle_t* handle) {
  static int token;
  *handle = reinterpret_cast<cublasHandle_t>(&token);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t) {
  return handle ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_NOT_INITIALIZED;
}
const char* cublasGetStatusName(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
  }
  return "CUBLAS_STATUS_UNKNOWN";
}
const char* cublasGetStatusString(cublasStatus_t status) { return cublasGetStatusName(status); }

cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                          int m, int n, int k, const void* alpha, const void* A,
                                          cudaDataType_t Atype, int lda, long long strideA, const void* B,
                                          cudaDataType_t Btype, int ldb, long long strideB, const void* beta, void* C,
                                          cudaDataType_t Ctype, int ldc, long long strideC, int batchCount,
                                          cublasComputeType_t computeType, cublasGemmAlgo_t) {
  if (!handle) return refuse(CUBLAS_STATUS_NOT_INITIALIZED, "no handle");
  const std::string args = std::string("(op ") + op_name(transa) + op_name(transb) + ", m " + std::to_string(m) +
                           ", n " + std::to_string(n) + ", k " + std::to_string(k) + ", lda " + std::to_string(lda) +
                           ", ldb " + std::to_string(ldb) + ", ldc " + std::to_string(ldc) + ", batch " +
                           std::to_string(batchCount) + ")";
  if (transa == CUBLAS_OP_C || transb == CUBLAS_OP_C) return refuse(CUBLAS_STATUS_NOT_SUPPORTED, "op C " + args);
  if (m < 0 || n < 0 || k < 0 || batchCount < 0) return refuse(CUBLAS_STATUS_INVALID_VALUE, "negative size " + args);
  // The leading dimensions hold the stored matrices' rows: A is m x k (N) or k x m (T), etc.
  if (lda < std::max(1, transa == CUBLAS_OP_N ? m : k))
    return refuse(CUBLAS_STATUS_INVALID_VALUE, "lda < max(1, rows of stored A) " + args);
  if (ldb < std::max(1, transb == CUBLAS_OP_N ? k : n))
    return refuse(CUBLAS_STATUS_INVALID_VALUE, "ldb < max(1, rows of stored B) " + args);
  if (ldc < std::max(1, m)) return refuse(CUBLAS_STATUS_INVALID_VALUE, "ldc < max(1, m) " + args);
  // Not a cuBLAS check, but batches writing overlapping C would race on the GPU.
  if (c_batches_overlap(m, n, ldc, strideC, batchCount))
    return refuse(CUBLAS_STATUS_INVALID_VALUE, "the batches' C matrices overlap (strideC " + std::to_string(strideC) +
                                                   ") " + args);
  const bool f32 = computeType == CUBLAS_COMPUTE_32F || computeType == CUBLAS_COMPUTE_32F_FAST_TF32 ||
                   computeType == CUBLAS_COMPUTE_32F_FAST_16BF;
  if (f32 && (Atype != CUDA_R_32F || Btype != CUDA_R_32F || Ctype != CUDA_R_32F))
    return refuse(CUBLAS_STATUS_NOT_SUPPORTED, "FP32 compute types take CUDA_R_32F operands here " + args);
  if (computeType == CUBLAS_COMPUTE_64F && (Atype != CUDA_R_64F || Btype != CUDA_R_64F || Ctype != CUDA_R_64F))
    return refuse(CUBLAS_STATUS_NOT_SUPPORTED, "CUBLAS_COMPUTE_64F takes CUDA_R_64F operands " + args);
  if (!f32 && computeType != CUBLAS_COMPUTE_64F) return refuse(CUBLAS_STATUS_NOT_SUPPORTED, "compute type " + args);
  if (m == 0 || n == 0 || batchCount == 0) return CUBLAS_STATUS_SUCCESS;
  if (f32) {
    const int keep = computeType == CUBLAS_COMPUTE_32F_FAST_TF32 ? 10 : computeType == CUBLAS_COMPUTE_32F_FAST_16BF ? 7 : 0;
    reference_gemm(transa, transb, m, n, k, *static_cast<const float*>(alpha), static_cast<const float*>(A), lda,
                   strideA, static_cast<const float*>(B), ldb, strideB, *static_cast<const float*>(beta),
                   static_cast<float*>(C), ldc, strideC, batchCount, keep);
  } else {
    reference_gemm(transa, transb, m, n, k, *static_cast<const double*>(alpha), static_cast<const double*>(A), lda,
                   strideA, static_cast<const double*>(B), ldb, strideB, *static_cast<const double*>(beta),
                   static_cast<double*>(C), ldc, strideC, batchCount, 0);
  }
  return CUBLAS_STATUS_SUCCESS;
}

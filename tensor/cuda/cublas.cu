// cuBLAS handles and the row-major strided-batched GEMM (tensor/cuda/cublas.cuh).
//
// cuBLAS is column-major. A row-major [M, N] matrix with row stride ld is the column-major
// [N, M] matrix with leading dimension ld, i.e. its transpose; so the row-major product
// C = A B is computed as the column-major product C^T = B^T A^T: cuBLAS gets (B, A) swapped,
// with m = N and n = M. An operand whose column stride is 1 is read "as is" (CUBLAS_OP_N, ld =
// its row stride); one whose row stride is 1 is a transposed view and is read with CUBLAS_OP_T
// (ld = its column stride). Either way nothing is copied.
#include <mutex>

#include "tensor/cuda/cublas.cuh"

namespace uniad::cuda {

void check_cublas(cublasStatus_t status, const char* call, const char* op) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw Error(cat(op, ": cuBLAS error in ", call, ": ", cublasGetStatusName(status), " (",
                  cublasGetStatusString(status), ")"));
}

cublasHandle_t cublas() {
  static std::mutex mutex;
  static cublasHandle_t handles[16] = {};
  const int d = current_device();
  cudaStream_t s = stream();
  std::lock_guard<std::mutex> lock(mutex);
  if (!handles[d]) {
    check_cublas(cublasCreate(&handles[d]), "cublasCreate", "cublas");
    check_cublas(cublasSetStream(handles[d], s), "cublasSetStream", "cublas");
  }
  return handles[d];
}

namespace {

// How cuBLAS reads one row-major operand: its op flag and leading dimension.
template <typename T>
void column_major_view(const GemmOperand<T>& x, int64_t rows, int64_t cols, cublasOperation_t& op, int64_t& ld,
                       const char* name, const char* caller) {
  if (x.col_stride == 1 || cols == 1) {
    op = CUBLAS_OP_N;
    ld = std::max<int64_t>(x.row_stride, std::max<int64_t>(cols, 1));
  } else {
    UNIAD_CHECK(x.row_stride == 1 || rows == 1, caller, ": operand ", name, " has neither unit row nor unit column stride (",
                x.row_stride, ", ", x.col_stride, "); make it contiguous first");
    op = CUBLAS_OP_T;
    ld = std::max<int64_t>(x.col_stride, std::max<int64_t>(rows, 1));
  }
}

void compute_type_for(float, cudaDataType_t& data, cublasComputeType_t& compute) {
  data = CUDA_R_32F;
  compute = CUBLAS_COMPUTE_32F;
  switch (ops::matmul_precision()) {
    case ops::MatmulPrecision::Float32: compute = CUBLAS_COMPUTE_32F; break;
    case ops::MatmulPrecision::TF32: compute = CUBLAS_COMPUTE_32F_FAST_TF32; break;
    case ops::MatmulPrecision::BF16: compute = CUBLAS_COMPUTE_32F_FAST_16BF; break;
  }
}

void compute_type_for(double, cudaDataType_t& data, cublasComputeType_t& compute) {
  data = CUDA_R_64F;
  compute = CUBLAS_COMPUTE_64F;
}

}  // namespace

template <typename T>
void gemm_strided_batched(int64_t M, int64_t N, int64_t K, GemmOperand<T> a, GemmOperand<T> b, T* c, int64_t ldc,
                          int64_t c_batch_stride, int64_t batch, double alpha, double beta, const char* op) {
  if (M == 0 || N == 0 || batch == 0) return;
  // C^T [N, M] = B^T [N, K] x A^T [K, M] in column-major terms.
  cublasOperation_t op_a, op_b;
  int64_t lda, ldb;
  column_major_view(a, M, K, op_a, lda, "a", op);
  column_major_view(b, K, N, op_b, ldb, "b", op);
  cudaDataType_t data_type;
  cublasComputeType_t compute;
  compute_type_for(T{}, data_type, compute);
  const T alpha_t = static_cast<T>(alpha), beta_t = static_cast<T>(beta);
  UNIAD_CHECK(M < (1LL << 31) && N < (1LL << 31) && K < (1LL << 31) && batch < (1LL << 31), op,
              ": matrix sizes beyond 2^31 are not supported by cuBLAS here (M ", M, ", N ", N, ", K ", K, ")");
  // K == 0 is left to cuBLAS, which then computes C = beta C as BLAS specifies.
  check_cublas(cublasGemmStridedBatchedEx(cublas(), op_b, op_a, static_cast<int>(N), static_cast<int>(M),
                                          static_cast<int>(K), &alpha_t, b.ptr, data_type, static_cast<int>(ldb),
                                          b.batch_stride, a.ptr, data_type, static_cast<int>(lda), a.batch_stride,
                                          &beta_t, c, data_type, static_cast<int>(ldc), c_batch_stride,
                                          static_cast<int>(batch), compute, CUBLAS_GEMM_DEFAULT),
               "cublasGemmStridedBatchedEx", op);
}

template void gemm_strided_batched<float>(int64_t, int64_t, int64_t, GemmOperand<float>, GemmOperand<float>, float*,
                                          int64_t, int64_t, int64_t, double, double, const char*);
template void gemm_strided_batched<double>(int64_t, int64_t, int64_t, GemmOperand<double>, GemmOperand<double>,
                                           double*, int64_t, int64_t, int64_t, double, double, const char*);

}  // namespace uniad::cuda

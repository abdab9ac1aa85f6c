#pragma once
// cuBLAS for the back end's matrix products: one handle per device on the back end's stream,
// and a row-major strided-batched GEMM in the layout tensor/ uses.
#include <cublas_v2.h>

#include "tensor/cuda/common.cuh"

namespace uniad::cuda {

// The handle of the current device, bound to stream().
cublasHandle_t cublas();
// Throws naming the op and the cuBLAS call when `status` is an error.
void check_cublas(cublasStatus_t status, const char* call, const char* op);

// One operand of a row-major product, as cuBLAS reads it: element (i, j) of the logical
// [rows, cols] matrix sits at ptr + i * row_stride + j * col_stride, and one of the two strides
// is 1 (so a transposed view is read in place); consecutive batch items are batch_stride apart
// (0 broadcasts one matrix to every item).
template <typename T>
struct GemmOperand {
  const T* ptr;
  int64_t row_stride, col_stride, batch_stride;
};

// For b in [0, batch): C_b[M, N] = alpha * A_b[M, K] x B_b[K, N] + beta * C_b, with C row-major
// (row stride ldc, batch stride c_batch_stride). float32 runs at ops::matmul_precision()
// (FP32, TF32 or BF16 inputs, always FP32 accumulation); double in FP64. `op` names the caller
// in errors. Implemented in tensor/cuda/cublas.cu.
template <typename T>
void gemm_strided_batched(int64_t M, int64_t N, int64_t K, GemmOperand<T> a, GemmOperand<T> b, T* c, int64_t ldc,
                          int64_t c_batch_stride, int64_t batch, double alpha, double beta, const char* op);

}  // namespace uniad::cuda

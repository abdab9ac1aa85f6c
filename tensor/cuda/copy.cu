// Strided copy with broadcasting and dtype conversion on the GPU: the device half of
// Tensor::copy_, and through it contiguous(), clone(), to(DType), fill_ and concat.
#include "tensor/cuda/common.cuh"

namespace uniad::cuda {

namespace {

template <typename Dst, typename Src>
__global__ void copy_convert_kernel(Dst* dst, StridedIndexer dst_ix, const Src* src, StridedIndexer src_ix,
                                    int64_t n) {
  UNIAD_GRID_LOOP(i, n) { dst[dst_ix.offset(i)] = static_cast<Dst>(src[src_ix.offset(i)]); }
}

// Both contiguous and of one dtype and shape: a plain device-to-device memcpy.
bool same_layout(const Tensor& dst, const Tensor& src) {
  return dst.dtype() == src.dtype() && dst.shape() == src.shape() && dst.is_contiguous() && src.is_contiguous();
}

template <typename Dst, typename Src>
void launch(Tensor& dst, const Tensor& src) {
  const int64_t n = dst.numel();
  const StridedIndexer dst_ix = make_indexer(dst, "copy_");
  const StridedIndexer src_ix = make_indexer(src, dst.shape(), "copy_");
  copy_convert_kernel<Dst, Src><<<grid_for(n), kThreads, 0, stream()>>>(dst.data<Dst>(), dst_ix, src.data<Src>(),
                                                                        src_ix, n);
  check_launch("copy_convert_kernel", "copy_");
}

template <typename Dst>
void launch_from(Tensor& dst, const Tensor& src) {
  switch (src.dtype()) {
    case DType::Float32: launch<Dst, float>(dst, src); break;
    case DType::Float64: launch<Dst, double>(dst, src); break;
    case DType::Int64: launch<Dst, int64_t>(dst, src); break;
  }
}

}  // namespace

void copy_strided(Tensor& dst, const Tensor& src) {
  UNIAD_CHECK(dst.device() == src.device(), "copy_: source on ", src.device().str(), ", destination on ",
              dst.device().str());
  if (dst.numel() == 0) return;
  if (same_layout(dst, src)) {
    UNIAD_CUDA_CHECK(cudaMemcpyAsync(dst.raw_data(), src.raw_data(), dst.numel() * dtype_size(dst.dtype()),
                                     cudaMemcpyDeviceToDevice, stream()),
                     "copy_");
    return;
  }
  switch (dst.dtype()) {
    case DType::Float32: launch_from<float>(dst, src); break;
    case DType::Float64: launch_from<double>(dst, src); break;
    case DType::Int64: launch_from<int64_t>(dst, src); break;
  }
}

}  // namespace uniad::cuda

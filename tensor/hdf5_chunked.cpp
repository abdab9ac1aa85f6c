// Chunked datasets written and read a run of rows at a time, and 1-D string arrays.
// The feature cache is the user: [N, C, G, G] features filled one batch per call, so that an
// interrupted run keeps what it flushed and a rerun continues (data/feature_cache.h).
#include <algorithm>

#include "tensor/hdf5_detail.h"
#include "tensor/hdf5_io.h"

namespace uniad::h5 {

using detail::fail;
using detail::Handle;

namespace {

hid_t stored_file_type(File::Stored t) {
  switch (t) {
    case File::Stored::Float32: return H5T_IEEE_F32LE;
    case File::Stored::Float64: return H5T_IEEE_F64LE;
    case File::Stored::Int64: return H5T_STD_I64LE;
    case File::Stored::UInt8: return H5T_STD_U8LE;
  }
  return -1;
}

hid_t dtype_memory_type(DType t) {
  switch (t) {
    case DType::Float32: return H5T_NATIVE_FLOAT;
    case DType::Float64: return H5T_NATIVE_DOUBLE;
    case DType::Int64: return H5T_NATIVE_INT64;
  }
  return -1;
}

// An open dataset with its type and (file) dataspace.
struct OpenDataset {
  Handle ds, type, space;
  Shape shape;
};

OpenDataset open_dataset(hid_t file, const std::string& file_name, const std::string& path) {
  Handle obj = detail::open_object(file, file_name, path);
  if (H5Iget_type(obj.get()) != H5I_DATASET) fail(file_name, path, "is a group, not a dataset");
  OpenDataset d;
  d.ds = Handle(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose);
  d.type = Handle(H5Dget_type(d.ds.get()), H5Tclose);
  d.space = Handle(H5Dget_space(d.ds.get()), H5Sclose);
  if (!d.ds.valid() || !d.type.valid() || !d.space.valid()) fail(file_name, path, "cannot open the dataset");
  d.shape = detail::space_shape(d.space.get(), file_name, path);
  return d;
}

// The stored type as one of our dtypes; anything else fails, naming it.
DType stored_as_dtype(hid_t type, const std::string& file, const std::string& path) {
  const H5T_class_t cls = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  if (cls == H5T_FLOAT && size == 4) return DType::Float32;
  if (cls == H5T_FLOAT && size == 8) return DType::Float64;
  if (cls == H5T_INTEGER && size == 8 && H5Tget_sign(type) == H5T_SGN_2) return DType::Int64;
  fail(file, path, cat("stored type ", detail::type_name(type), " is not float32, float64 or int64"));
}

bool is_uint8(hid_t type) {
  return H5Tget_class(type) == H5T_INTEGER && H5Tget_size(type) == 1 && H5Tget_sign(type) == H5T_SGN_NONE;
}

// Selects rows [first, first + count) of `d` in its file space and returns the matching
// memory space; checks the range against the stored row count.
Handle select_rows(OpenDataset& d, int64_t first, int64_t count, const std::string& file, const std::string& path) {
  if (d.shape.empty()) fail(file, path, "is a scalar; rows need rank >= 1");
  if (first < 0 || count < 0 || first + count > d.shape[0])
    fail(file, path, cat("rows [", first, ", ", first + count, ") are outside the stored ", d.shape[0], " rows"));
  std::vector<hsize_t> start(d.shape.size(), 0), extent(d.shape.begin(), d.shape.end());
  start[0] = static_cast<hsize_t>(first);
  extent[0] = static_cast<hsize_t>(count);
  if (H5Sselect_hyperslab(d.space.get(), H5S_SELECT_SET, start.data(), nullptr, extent.data(), nullptr) < 0)
    fail(file, path, "cannot select the rows");
  return Handle(H5Screate_simple(static_cast<int>(extent.size()), extent.data(), nullptr), H5Sclose);
}

Shape row_shape(const Shape& shape) { return Shape(shape.begin() + 1, shape.end()); }

}  // namespace

// ------------------------------------------------------------------ chunked datasets
void File::create_chunked(const std::string& dataset, Stored type, const Shape& shape, int64_t chunk_rows,
                          int deflate) {
  const std::string path = detail::normalize_path(path_, dataset);
  require_writable(path);
  if (shape.empty()) fail(path_, path, "a chunked dataset needs rank >= 1");
  if (chunk_rows < 1) fail(path_, path, cat("chunk rows must be >= 1, got ", chunk_rows));
  if (deflate < 0 || deflate > 9) fail(path_, path, cat("deflate level must be 0-9, got ", deflate));
  for (int64_t d : shape)
    if (d < 0) fail(path_, path, cat("negative size in shape ", shape_str(shape)));
  if (detail::link_exists(id_, path)) fail(path_, path, "already exists");

  const std::vector<hsize_t> dims(shape.begin(), shape.end());
  std::vector<hsize_t> maxdims = dims, chunk = dims;
  maxdims[0] = H5S_UNLIMITED;  // lets the chunk be taller than a short (even empty) dataset
  chunk[0] = static_cast<hsize_t>(chunk_rows);
  for (size_t i = 1; i < chunk.size(); ++i) chunk[i] = std::max<hsize_t>(chunk[i], 1);
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), maxdims.data()), H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()) < 0)
    fail(path_, path, cat("cannot use chunks of ", chunk_rows, " rows for shape ", shape_str(shape)));
  if (deflate > 0) {
    if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0) fail(path_, path, "this HDF5 library has no deflate filter");
    H5Pset_shuffle(dcpl.get());  // byte shuffling first: compresses multi-byte values better
    H5Pset_deflate(dcpl.get(), static_cast<unsigned>(deflate));
  }
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  Handle ds(H5Dcreate2(id_, path.c_str(), stored_file_type(type), space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
            H5Dclose);
  if (!ds.valid()) fail(path_, path, "cannot create the dataset");
}

void File::extend_rows(const std::string& dataset, int64_t rows) {
  const std::string path = detail::normalize_path(path_, dataset);
  require_writable(path);
  OpenDataset d = open_dataset(id_, path_, path);
  if (d.shape.empty()) fail(path_, path, "is a scalar; rows need rank >= 1");
  if (rows <= d.shape[0]) return;
  std::vector<hsize_t> dims(d.shape.begin(), d.shape.end());
  dims[0] = static_cast<hsize_t>(rows);
  if (H5Dset_extent(d.ds.get(), dims.data()) < 0) fail(path_, path, cat("cannot grow to ", rows, " rows (not chunked?)"));
}

void File::write_rows(const std::string& dataset, int64_t first, const Tensor& rows) {
  const std::string path = detail::normalize_path(path_, dataset);
  require_writable(path);
  if (!rows.defined() || rows.dim() < 1) fail(path_, path, "write_rows needs a defined tensor of rank >= 1");
  OpenDataset d = open_dataset(id_, path_, path);
  const DType stored = stored_as_dtype(d.type.get(), path_, path);
  if (stored != rows.dtype())
    fail(path_, path, cat("cannot write ", dtype_name(rows.dtype()), " rows into a ", dtype_name(stored), " dataset"));
  if (d.shape.size() != rows.shape().size() || row_shape(d.shape) != row_shape(rows.shape()))
    fail(path_, path, cat("rows of shape ", shape_str(rows.shape()), " do not fit the stored ", shape_str(d.shape)));
  if (rows.size(0) == 0) return;
  Handle mem = select_rows(d, first, rows.size(0), path_, path);
  const Tensor c = rows.to(Device::cpu()).contiguous();  // GPU rows are written from a host copy
  const void* src = static_cast<const char*>(c.storage()->data()) + c.offset() * dtype_size(c.dtype());
  if (H5Dwrite(d.ds.get(), dtype_memory_type(c.dtype()), mem.get(), d.space.get(), H5P_DEFAULT, src) < 0)
    fail(path_, path, cat("cannot write rows [", first, ", ", first + rows.size(0), ")"));
}

void File::write_rows_u8(const std::string& dataset, int64_t first, int64_t count, const uint8_t* values) {
  const std::string path = detail::normalize_path(path_, dataset);
  require_writable(path);
  OpenDataset d = open_dataset(id_, path_, path);
  if (!is_uint8(d.type.get()))
    fail(path_, path, cat("cannot write uint8 rows into a ", detail::type_name(d.type.get()), " dataset"));
  if (count == 0) return;
  Handle mem = select_rows(d, first, count, path_, path);
  if (H5Dwrite(d.ds.get(), H5T_NATIVE_UINT8, mem.get(), d.space.get(), H5P_DEFAULT, values) < 0)
    fail(path_, path, cat("cannot write rows [", first, ", ", first + count, ")"));
}

Tensor File::read_rows(const std::string& dataset, int64_t first, int64_t count) const {
  Shape shape = shape_of(dataset);
  if (shape.empty()) fail(path_, detail::normalize_path(path_, dataset), "is a scalar; rows need rank >= 1");
  shape[0] = count;
  const std::string path = detail::normalize_path(path_, dataset);
  OpenDataset d = open_dataset(id_, path_, path);
  Tensor t = Tensor::empty(shape, stored_as_dtype(d.type.get(), path_, path));  // [count, ...]
  read_rows_into(dataset, first, t);
  return t;
}

void File::read_rows_into(const std::string& dataset, int64_t first, Tensor& rows) const {
  const std::string path = detail::normalize_path(path_, dataset);
  require_open(path);
  OpenDataset d = open_dataset(id_, path_, path);
  const DType dtype = stored_as_dtype(d.type.get(), path_, path);
  if (!rows.defined() || !rows.is_contiguous() || rows.dtype() != dtype || rows.dim() < 1 ||
      d.shape.size() != rows.shape().size() || row_shape(d.shape) != row_shape(rows.shape()))
    fail(path_, path, cat("cannot read rows of ", shape_str(d.shape), " ", dtype_name(dtype), " into a ",
                          rows.defined() ? (rows.is_contiguous() ? "" : "non-contiguous ") : "undefined ",
                          rows.defined() ? dtype_name(rows.dtype()) : "", " tensor of shape ",
                          rows.defined() ? shape_str(rows.shape()) : "[]"));
  Handle mem = select_rows(d, first, rows.size(0), path_, path);
  void* dst = static_cast<char*>(rows.storage()->data()) + rows.offset() * dtype_size(dtype);
  if (rows.numel() > 0 && H5Dread(d.ds.get(), dtype_memory_type(dtype), mem.get(), d.space.get(), H5P_DEFAULT, dst) < 0)
    fail(path_, path, "cannot read the data (file damaged or truncated?)");
}

std::vector<uint8_t> File::read_rows_u8(const std::string& dataset, int64_t first, int64_t count) const {
  const std::string path = detail::normalize_path(path_, dataset);
  require_open(path);
  OpenDataset d = open_dataset(id_, path_, path);
  if (!is_uint8(d.type.get())) fail(path_, path, cat("expected uint8, stored ", detail::type_name(d.type.get())));
  Handle mem = select_rows(d, first, count, path_, path);
  std::vector<uint8_t> out(static_cast<size_t>(count * numel_of(row_shape(d.shape))));
  if (!out.empty() && H5Dread(d.ds.get(), H5T_NATIVE_UINT8, mem.get(), d.space.get(), H5P_DEFAULT, out.data()) < 0)
    fail(path_, path, "cannot read the data (file damaged or truncated?)");
  return out;
}

Shape File::shape_of(const std::string& dataset) const {
  const std::string path = detail::normalize_path(path_, dataset);
  require_open(path);
  return open_dataset(id_, path_, path).shape;
}

// ------------------------------------------------------------------ string arrays
void File::write_strings(const std::string& dataset, const std::vector<std::string>& values) {
  const std::string path = detail::normalize_path(path_, dataset);
  require_writable(path);
  if (detail::link_exists(id_, path)) fail(path_, path, "already exists");
  Handle type = detail::vlen_string_type();
  const hsize_t n = values.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  Handle ds(H5Dcreate2(id_, path.c_str(), type.get(), space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
  if (!ds.valid()) fail(path_, path, "cannot create the dataset");
  std::vector<const char*> ptrs(values.size());
  for (size_t i = 0; i < values.size(); ++i) ptrs[i] = values[i].c_str();
  if (n > 0 && H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0)
    fail(path_, path, "cannot write the strings");
}

std::vector<std::string> File::read_strings(const std::string& dataset) const {
  const std::string path = detail::normalize_path(path_, dataset);
  require_open(path);
  OpenDataset d = open_dataset(id_, path_, path);
  if (H5Tget_class(d.type.get()) != H5T_STRING)
    fail(path_, path, cat("expected strings, stored ", detail::type_name(d.type.get())));
  if (d.shape.size() != 1) fail(path_, path, cat("expected a 1-D string array, stored shape ", shape_str(d.shape)));
  const size_t n = static_cast<size_t>(d.shape[0]);
  std::vector<std::string> out(n);
  if (n == 0) return out;
  if (H5Tis_variable_str(d.type.get()) > 0) {
    Handle mem = detail::vlen_string_type();
    std::vector<char*> ptrs(n, nullptr);
    if (H5Dread(d.ds.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0)
      fail(path_, path, "cannot read the strings (file damaged or truncated?)");
    for (size_t i = 0; i < n; ++i) out[i] = ptrs[i] ? ptrs[i] : "";
    H5Dvlen_reclaim(mem.get(), d.space.get(), H5P_DEFAULT, ptrs.data());
    return out;
  }
  // Fixed-length strings (numpy bytes arrays): n slots of `width` bytes, null padded.
  const size_t width = H5Tget_size(d.type.get());
  Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mem.get(), width);
  H5Tset_strpad(mem.get(), H5T_STR_NULLPAD);  // a full-width string keeps its last character
  std::vector<char> buf(n * width);
  if (H5Dread(d.ds.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
    fail(path_, path, "cannot read the strings (file damaged or truncated?)");
  for (size_t i = 0; i < n; ++i) {
    const char* s = buf.data() + i * width;
    out[i].assign(s, std::find(s, s + width, '\0'));
  }
  return out;
}

}  // namespace uniad::h5

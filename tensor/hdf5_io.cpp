// HDF5 files and tensor datasets. Attributes and scalar datasets are in hdf5_attrs.cpp.
#include "tensor/hdf5_io.h"

#include <algorithm>
#include <filesystem>

#include "tensor/hdf5_detail.h"

namespace uniad::h5 {

using detail::fail;
using detail::Handle;

// ------------------------------------------------------------------ shared helpers
namespace detail {

void silence_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

std::string hdf5_reason() {
  // Walking upward starts at the innermost frame, where the problem was detected ("file
  // signature not found", "truncated file: eof = ..."); the outer frames only say "unable to open".
  std::string reason;
  auto innermost = [](unsigned n, const H5E_error2_t* err, void* out) -> herr_t {
    if (n == 0 && err->desc) *static_cast<std::string*>(out) = err->desc;
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, &reason);
  H5Eclear2(H5E_DEFAULT);
  return reason.empty() ? "" : cat(" (HDF5: ", reason, ")");
}

void fail(const std::string& file, const std::string& object, const std::string& message) {
  const std::string reason = hdf5_reason();
  throw Error(object.empty() ? cat(file, ": ", message, reason) : cat(file, ": ", object, ": ", message, reason));
}

std::string normalize_path(const std::string& file, const std::string& path) {
  if (path.empty()) fail(file, "", "empty path");
  std::string p = path.front() == '/' ? path : "/" + path;
  if (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p.find("//") != std::string::npos) fail(file, path, "empty component in path");
  return p;
}

bool link_exists(hid_t file, const std::string& path) {
  if (path == "/") return true;
  // Check "/a", "/a/b", ... in turn: H5Lexists fails (rather than saying no) on a missing parent.
  for (size_t pos = 1;; ++pos) {
    pos = path.find('/', pos);
    const std::string prefix = path.substr(0, pos);
    if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (pos == std::string::npos) return true;
  }
}

Handle open_object(hid_t file, const std::string& file_name, const std::string& path) {
  if (!link_exists(file, path)) fail(file_name, path, "no such group or dataset");
  Handle obj(H5Oopen(file, path.c_str(), H5P_DEFAULT), H5Oclose);
  if (!obj.valid()) fail(file_name, path, "cannot open");
  return obj;
}

std::string type_name(hid_t type) {
  const size_t bits = H5Tget_size(type) * 8;
  switch (H5Tget_class(type)) {
    case H5T_FLOAT: return cat("float", bits);
    case H5T_INTEGER: return cat(H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int", bits);
    case H5T_STRING: return "string";
    case H5T_ENUM: return "enum (e.g. a numpy bool)";
    case H5T_COMPOUND: return "compound";
    case H5T_ARRAY: return "array";
    default: return "an unsupported HDF5 type";
  }
}

std::vector<int64_t> space_shape(hid_t space, const std::string& file, const std::string& object) {
  const H5S_class_t kind = H5Sget_simple_extent_type(space);
  if (kind == H5S_SCALAR) return {};
  if (kind != H5S_SIMPLE) fail(file, object, "empty (null) dataspace");
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) fail(file, object, "cannot read the dataspace");
  std::vector<hsize_t> dims(rank);
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return std::vector<int64_t>(dims.begin(), dims.end());
}

Handle vlen_string_type() {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  return type;
}

}  // namespace detail

// ------------------------------------------------------------------ dtype <-> HDF5 types
namespace {

// The file type we write: explicit little-endian, which is also what h5py/numpy write on x86.
hid_t file_type(DType t) {
  switch (t) {
    case DType::Float32: return H5T_IEEE_F32LE;
    case DType::Float64: return H5T_IEEE_F64LE;
    case DType::Int64: return H5T_STD_I64LE;
  }
  return -1;
}

// The in-memory type HDF5 converts to on read (it handles byte order).
hid_t memory_type(DType t) {
  switch (t) {
    case DType::Float32: return H5T_NATIVE_FLOAT;
    case DType::Float64: return H5T_NATIVE_DOUBLE;
    case DType::Int64: return H5T_NATIVE_INT64;
  }
  return -1;
}

// The dtype of a stored type; anything but float32, float64 and int64 is rejected by name.
DType stored_dtype(hid_t type, const std::string& file, const std::string& object) {
  const H5T_class_t cls = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  if (cls == H5T_FLOAT && size == 4) return DType::Float32;
  if (cls == H5T_FLOAT && size == 8) return DType::Float64;
  if (cls == H5T_INTEGER && size == 8 && H5Tget_sign(type) == H5T_SGN_2) return DType::Int64;
  fail(file, object, cat("stored type ", detail::type_name(type), " is not float32, float64 or int64"));
}

void* raw_data(Tensor& t) { return static_cast<char*>(t.storage()->data()) + t.offset() * dtype_size(t.dtype()); }

}  // namespace

// ------------------------------------------------------------------ File
File::File(int64_t id, std::string path, bool writable) : id_(id), path_(std::move(path)), writable_(writable) {}

File File::open_read(const std::string& path) {
  detail::silence_hdf5();
  if (!std::filesystem::exists(path)) fail(path, "", "no such file");
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) fail(path, "", "not a readable HDF5 file (damaged, truncated or another format)");
  return File(id, path, false);
}

File File::create(const std::string& path) {
  detail::silence_hdf5();
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) fail(path, "", "cannot create the file");
  return File(id, path, true);
}

File File::open_write(const std::string& path) {
  detail::silence_hdf5();
  if (!std::filesystem::exists(path)) fail(path, "", "no such file");
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  if (id < 0) fail(path, "", "cannot open for writing (damaged, truncated, another format, or read-only)");
  return File(id, path, true);
}

File::File(File&& o) noexcept : id_(o.id_), path_(std::move(o.path_)), writable_(o.writable_) { o.id_ = -1; }

File& File::operator=(File&& o) noexcept {
  if (this != &o) {
    if (id_ >= 0) H5Fclose(id_);
    id_ = o.id_;
    path_ = std::move(o.path_);
    writable_ = o.writable_;
    o.id_ = -1;
  }
  return *this;
}

File::~File() {
  if (id_ >= 0) H5Fclose(id_);
}

void File::close() {
  if (id_ < 0) return;
  const hid_t id = id_;
  id_ = -1;
  if (H5Fclose(id) < 0) fail(path_, "", "error while closing (data may not have been written)");
}

void File::flush() {
  require_writable("");
  if (H5Fflush(id_, H5F_SCOPE_LOCAL) < 0) fail(path_, "", "cannot flush to disk");
}

void File::require_open(const std::string& what) const {
  if (id_ < 0) fail(path_, what, "file is closed");
}

void File::require_writable(const std::string& what) const {
  require_open(what);
  if (!writable_) fail(path_, what, "file was opened read-only");
}

// ------------------------------------------------------------------ tensors
void File::write(const std::string& dataset, const Tensor& t) {
  const std::string path = detail::normalize_path(path_, dataset);
  require_writable(path);
  if (!t.defined()) fail(path_, path, "cannot write an undefined tensor");
  if (detail::link_exists(id_, path)) fail(path_, path, "already exists");

  Tensor c = t.to(Device::cpu()).contiguous();  // GPU tensors are written from a host copy
  const std::vector<hsize_t> dims(c.shape().begin(), c.shape().end());
  Handle space(c.dim() == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(c.dim(), dims.data(), nullptr), H5Sclose);
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  Handle ds(H5Dcreate2(id_, path.c_str(), file_type(c.dtype()), space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
            H5Dclose);
  if (!ds.valid()) fail(path_, path, "cannot create the dataset");
  if (c.numel() > 0 && H5Dwrite(ds.get(), memory_type(c.dtype()), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw_data(c)) < 0)
    fail(path_, path, "cannot write the dataset");
}

Tensor File::read(const std::string& dataset) const {
  const std::string path = detail::normalize_path(path_, dataset);
  require_open(path);
  Handle obj = detail::open_object(id_, path_, path);
  if (H5Iget_type(obj.get()) != H5I_DATASET) fail(path_, path, "is a group, not a dataset");
  Handle ds(H5Dopen2(id_, path.c_str(), H5P_DEFAULT), H5Dclose);
  Handle type(H5Dget_type(ds.get()), H5Tclose);
  Handle space(H5Dget_space(ds.get()), H5Sclose);
  if (!ds.valid() || !type.valid() || !space.valid()) fail(path_, path, "cannot open the dataset");

  const DType dtype = stored_dtype(type.get(), path_, path);
  Tensor t = Tensor::empty(detail::space_shape(space.get(), path_, path), dtype);
  if (t.numel() > 0 && H5Dread(ds.get(), memory_type(dtype), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw_data(t)) < 0)
    fail(path_, path, "cannot read the data (file damaged or truncated?)");
  return t;
}

Tensor File::read(const std::string& dataset, DType expected) const {
  Tensor t = read(dataset);
  if (t.dtype() != expected)
    fail(path_, detail::normalize_path(path_, dataset),
         cat("expected ", dtype_name(expected), ", stored ", dtype_name(t.dtype())));
  return t;
}

Tensor File::read(const std::string& dataset, DType expected, const Shape& expected_shape) const {
  Tensor t = read(dataset, expected);
  if (t.shape() != expected_shape)
    fail(path_, detail::normalize_path(path_, dataset),
         cat("expected shape ", shape_str(expected_shape), ", stored ", shape_str(t.shape())));
  return t;
}

void File::read_into(const std::string& dataset, Tensor& dst) const {
  if (!dst.defined()) fail(path_, dataset, "read_into: destination tensor is undefined");
  dst.copy_(read(dataset, dst.dtype(), dst.shape()));  // copy_ handles a non-contiguous destination
}

// ------------------------------------------------------------------ structure
bool File::exists(const std::string& path) const {
  require_open(path);
  return detail::link_exists(id_, detail::normalize_path(path_, path));
}

void File::create_group(const std::string& group) {
  const std::string path = detail::normalize_path(path_, group);
  require_writable(path);
  if (detail::link_exists(id_, path)) {
    Handle obj = detail::open_object(id_, path_, path);
    if (H5Iget_type(obj.get()) != H5I_GROUP) fail(path_, path, "exists and is not a group");
    return;
  }
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  Handle g(H5Gcreate2(id_, path.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!g.valid()) fail(path_, path, "cannot create the group");
}

// Children of `group` whose object type is `want`, as full paths, recursing into subgroups
// when asked. Links that cannot be opened (dangling soft links) are skipped.
static void collect(hid_t file, const std::string& file_name, const std::string& group, H5I_type_t want,
                    bool recursive, std::vector<std::string>& out) {
  Handle g = detail::open_object(file, file_name, group);
  if (H5Iget_type(g.get()) != H5I_GROUP) fail(file_name, group, "is a dataset, not a group");
  H5G_info_t info;
  if (H5Gget_info(g.get(), &info) < 0) fail(file_name, group, "cannot list the group");
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t len = H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (len < 0) fail(file_name, group, "cannot list the group");
    std::string name(static_cast<size_t>(len) + 1, '\0');
    H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
    name.resize(static_cast<size_t>(len));
    const std::string child = group == "/" ? "/" + name : group + "/" + name;
    Handle obj(H5Oopen(g.get(), name.c_str(), H5P_DEFAULT), H5Oclose);
    if (!obj.valid()) {
      H5Eclear2(H5E_DEFAULT);
      continue;
    }
    const H5I_type_t kind = H5Iget_type(obj.get());
    if (kind == want) out.push_back(child);
    if (recursive && kind == H5I_GROUP) collect(file, file_name, child, want, true, out);
  }
}

std::vector<std::string> File::list_datasets(const std::string& group, bool recursive) const {
  const std::string path = detail::normalize_path(path_, group);
  require_open(path);
  std::vector<std::string> out;
  collect(id_, path_, path, H5I_DATASET, recursive, out);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> File::list_groups(const std::string& group) const {
  const std::string path = detail::normalize_path(path_, group);
  require_open(path);
  std::vector<std::string> out;
  collect(id_, path_, path, H5I_GROUP, false, out);
  return out;
}

}  // namespace uniad::h5

// Attributes (small named values on a group or dataset) and scalar datasets: the op
// parameters of golden fixtures and the metadata of checkpoints. Integers are stored as
// int64, reals as float64, strings as variable-length UTF-8 (what h5py writes for str).
#include <functional>

#include "tensor/hdf5_detail.h"
#include "tensor/hdf5_io.h"

namespace uniad::h5 {

using detail::fail;
using detail::Handle;

namespace {

// Reads one value of type `mem_type` through `read` (H5Aread or H5Dread), after checking that the
// dataspace holds exactly one element (scalar, or an array of one as some writers make).
using RawRead = std::function<herr_t(hid_t mem_type, void* buf)>;

void require_one_element(hid_t space, const std::string& file, const std::string& where) {
  const auto shape = detail::space_shape(space, file, where);
  if (numel_of(shape) != 1) fail(file, where, cat("expected a single value, stored shape ", shape_str(shape)));
}

int64_t read_int_value(hid_t type, const RawRead& read, const std::string& file, const std::string& where) {
  if (H5Tget_class(type) != H5T_INTEGER)
    fail(file, where, cat("expected an integer, stored ", detail::type_name(type)));
  int64_t v = 0;
  if (read(H5T_NATIVE_INT64, &v) < 0) fail(file, where, "cannot read the value");
  return v;
}

double read_double_value(hid_t type, const RawRead& read, const std::string& file, const std::string& where) {
  const H5T_class_t cls = H5Tget_class(type);
  if (cls != H5T_FLOAT && cls != H5T_INTEGER)
    fail(file, where, cat("expected a number, stored ", detail::type_name(type)));
  double v = 0;
  if (read(H5T_NATIVE_DOUBLE, &v) < 0) fail(file, where, "cannot read the value");
  return v;
}

// Strings come in two layouts: variable length (h5py's str) and fixed length (numpy bytes,
// other tools); both are accepted.
std::string read_string_value(hid_t type, const RawRead& read, const std::string& file, const std::string& where) {
  if (H5Tget_class(type) != H5T_STRING) fail(file, where, cat("expected a string, stored ", detail::type_name(type)));
  if (H5Tis_variable_str(type) > 0) {
    Handle mem = detail::vlen_string_type();
    char* p = nullptr;
    if (read(mem.get(), &p) < 0) fail(file, where, "cannot read the string");
    std::string s = p ? p : "";
    H5free_memory(p);
    return s;
  }
  const size_t n = H5Tget_size(type);
  Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mem.get(), n);
  std::string s(n, '\0');
  if (read(mem.get(), s.data()) < 0) fail(file, where, "cannot read the string");
  s.resize(s.find('\0') == std::string::npos ? n : s.find('\0'));  // drop null padding
  return s;
}

// Opens the attribute `name` of the object at `path`, naming both when it is missing.
struct OpenAttr {
  Handle obj, attr, type, space;
  std::string where;  // "/group@name", used in messages
};

OpenAttr open_attr(hid_t file, const std::string& file_name, const std::string& path, const std::string& name) {
  OpenAttr a;
  a.where = path + "@" + name;
  a.obj = detail::open_object(file, file_name, path);
  if (H5Aexists(a.obj.get(), name.c_str()) <= 0) fail(file_name, a.where, "no such attribute");
  a.attr = Handle(H5Aopen(a.obj.get(), name.c_str(), H5P_DEFAULT), H5Aclose);
  a.type = Handle(H5Aget_type(a.attr.get()), H5Tclose);
  a.space = Handle(H5Aget_space(a.attr.get()), H5Sclose);
  if (!a.attr.valid() || !a.type.valid() || !a.space.valid()) fail(file_name, a.where, "cannot open the attribute");
  require_one_element(a.space.get(), file_name, a.where);
  return a;
}

RawRead attr_reader(hid_t attr) {
  return [attr](hid_t mem_type, void* buf) { return H5Aread(attr, mem_type, buf); };
}

// Writes one scalar attribute, replacing an existing one of the same name (metadata may be updated).
void write_attr(hid_t file, const std::string& file_name, const std::string& path, const std::string& name,
                hid_t file_type, hid_t mem_type, const void* value) {
  const std::string where = path + "@" + name;
  Handle obj = detail::open_object(file, file_name, path);
  if (H5Aexists(obj.get(), name.c_str()) > 0 && H5Adelete(obj.get(), name.c_str()) < 0)
    fail(file_name, where, "cannot replace the attribute");
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(obj.get(), name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.valid() || H5Awrite(attr.get(), mem_type, value) < 0) fail(file_name, where, "cannot write the attribute");
}

}  // namespace

// ------------------------------------------------------------------ attributes
void File::set_attr(const std::string& object, const std::string& name, int64_t value) {
  const std::string path = detail::normalize_path(path_, object);
  require_writable(path);
  write_attr(id_, path_, path, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

void File::set_attr(const std::string& object, const std::string& name, double value) {
  const std::string path = detail::normalize_path(path_, object);
  require_writable(path);
  write_attr(id_, path_, path, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

void File::set_attr(const std::string& object, const std::string& name, const std::string& value) {
  const std::string path = detail::normalize_path(path_, object);
  require_writable(path);
  Handle type = detail::vlen_string_type();
  const char* p = value.c_str();
  write_attr(id_, path_, path, name, type.get(), type.get(), &p);
}

bool File::has_attr(const std::string& object, const std::string& name) const {
  const std::string path = detail::normalize_path(path_, object);
  require_open(path);
  if (!detail::link_exists(id_, path)) return false;
  Handle obj = detail::open_object(id_, path_, path);
  return H5Aexists(obj.get(), name.c_str()) > 0;
}

int64_t File::attr_int(const std::string& object, const std::string& name) const {
  const std::string path = detail::normalize_path(path_, object);
  require_open(path);
  OpenAttr a = open_attr(id_, path_, path, name);
  return read_int_value(a.type.get(), attr_reader(a.attr.get()), path_, a.where);
}

double File::attr_double(const std::string& object, const std::string& name) const {
  const std::string path = detail::normalize_path(path_, object);
  require_open(path);
  OpenAttr a = open_attr(id_, path_, path, name);
  return read_double_value(a.type.get(), attr_reader(a.attr.get()), path_, a.where);
}

std::string File::attr_string(const std::string& object, const std::string& name) const {
  const std::string path = detail::normalize_path(path_, object);
  require_open(path);
  OpenAttr a = open_attr(id_, path_, path, name);
  return read_string_value(a.type.get(), attr_reader(a.attr.get()), path_, a.where);
}

// ------------------------------------------------------------------ scalar datasets
namespace {

void write_scalar(hid_t file, const std::string& file_name, const std::string& path, hid_t file_type,
                  hid_t mem_type, const void* value) {
  if (detail::link_exists(file, path)) fail(file_name, path, "already exists");
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  Handle ds(H5Dcreate2(file, path.c_str(), file_type, space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
  if (!ds.valid() || H5Dwrite(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, value) < 0)
    fail(file_name, path, "cannot write the dataset");
}

// An open one-element dataset: the dataset, its stored type, and a reader for its value.
struct OpenScalar {
  Handle ds, type, space;
  RawRead read() const {
    const hid_t id = ds.get();
    return [id](hid_t mem_type, void* buf) { return H5Dread(id, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf); };
  }
};

OpenScalar open_scalar(hid_t file, const std::string& file_name, const std::string& path) {
  Handle obj = detail::open_object(file, file_name, path);
  if (H5Iget_type(obj.get()) != H5I_DATASET) fail(file_name, path, "is a group, not a dataset");
  OpenScalar s;
  s.ds = Handle(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose);
  s.type = Handle(H5Dget_type(s.ds.get()), H5Tclose);
  s.space = Handle(H5Dget_space(s.ds.get()), H5Sclose);
  if (!s.ds.valid() || !s.type.valid() || !s.space.valid()) fail(file_name, path, "cannot open the dataset");
  require_one_element(s.space.get(), file_name, path);
  return s;
}

}  // namespace

void File::write_int(const std::string& dataset, int64_t value) {
  const std::string path = detail::normalize_path(path_, dataset);
  require_writable(path);
  write_scalar(id_, path_, path, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

void File::write_string(const std::string& dataset, const std::string& value) {
  const std::string path = detail::normalize_path(path_, dataset);
  require_writable(path);
  Handle type = detail::vlen_string_type();
  const char* p = value.c_str();
  write_scalar(id_, path_, path, type.get(), type.get(), &p);
}

int64_t File::read_int(const std::string& dataset) const {
  const std::string path = detail::normalize_path(path_, dataset);
  require_open(path);
  OpenScalar s = open_scalar(id_, path_, path);
  return read_int_value(s.type.get(), s.read(), path_, path);
}

std::string File::read_string(const std::string& dataset) const {
  const std::string path = detail::normalize_path(path_, dataset);
  require_open(path);
  OpenScalar s = open_scalar(id_, path_, path);
  return read_string_value(s.type.get(), s.read(), path_, path);
}

}  // namespace uniad::h5

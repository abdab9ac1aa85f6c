#pragma once
// Internal helpers shared by hdf5_io.cpp (files, tensors, structure) and hdf5_attrs.cpp
// (attributes and scalar datasets). Not part of the public interface: include hdf5_io.h.
#include <hdf5.h>

#include <string>
#include <type_traits>
#include <vector>

#include "tensor/dtype.h"
#include "tensor/error.h"

namespace uniad::h5::detail {

static_assert(std::is_same_v<hid_t, int64_t>, "hdf5_io.h stores hid_t as int64_t");

// Owns one HDF5 identifier and releases it with the matching close function (H5Dclose,
// H5Sclose, ...), so that every early return and every throw closes what was opened.
class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      close_ = o.close_;
      o.id_ = -1;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  void reset() {
    if (id_ >= 0 && close_) close_(id_);
    id_ = -1;
  }
  hid_t id_ = -1;
  herr_t (*close_)(hid_t) = nullptr;
};

// Switches off HDF5's printing of its error stack to stderr; failures reach the caller as
// uniad::Error instead. The setting is per thread in thread-safe HDF5 builds, so every entry
// point calls this (it is cheap).
void silence_hdf5();

// " (HDF5: <innermost message>)" from the current HDF5 error stack, or "" when it is empty.
// Clears the stack.
std::string hdf5_reason();

// Throws "<file>: <object>: <message> (HDF5: ...)"; `object` may be empty for file-level errors.
[[noreturn]] void fail(const std::string& file, const std::string& object, const std::string& message);

// "/a/b" from "a/b" or "/a/b"; rejects empty paths and empty components ("a//b").
std::string normalize_path(const std::string& file, const std::string& path);

// True when every component of `path` exists (HDF5's H5Lexists needs the parents to exist).
bool link_exists(hid_t file, const std::string& path);

// Opens the group or dataset at `path`, failing with "no such group or dataset" when absent.
Handle open_object(hid_t file, const std::string& file_name, const std::string& path);

// How a stored HDF5 type reads in words: "float32", "int32", "uint8", "string", "compound", ...
std::string type_name(hid_t type);

// The dataspace's shape: [] for a scalar dataspace; fails for a null dataspace.
std::vector<int64_t> space_shape(hid_t space, const std::string& file, const std::string& object);

// Variable-length UTF-8 string type, the kind h5py writes for Python str.
Handle vlen_string_type();

}  // namespace uniad::h5::detail

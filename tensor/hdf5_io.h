#pragma once
// Tensors in HDF5 files: golden fixtures made by PyTorch, model checkpoints, the feature cache.
//
// A file holds a tree of groups; a tensor is a dataset at a path such as
// "/encoder/layers.0/linear1.weight" (intermediate groups are created on write). Small
// parameters (stride, eps, a description) are attributes of a group or dataset, or scalar
// datasets. Stored element types map one to one onto our dtypes:
//   IEEE float 4 bytes -> float32, 8 bytes -> float64, signed 8-byte integer -> int64.
// Anything else is rejected with an Error rather than converted silently.
//
// Every failure throws uniad::Error naming the file and the path inside it, e.g.
//   "golden_ops.h5: /conv2d/weight: expected float32, stored float64".
// HDF5's habit of printing its error stack to stderr is switched off; its innermost message is
// appended to ours instead. Only the CPU side is handled: tensors live on the CPU here.
//
// Large arrays written in parts (the feature cache: one batch at a time, resumable) use chunked
// datasets (hdf5_chunked.cpp): create_chunked() makes the whole [N, ...] dataset up front, then
// write_rows() fills rows [first, first + B) and read_rows() reads any run of rows. Chunked
// datasets also hold uint8 (masks), optionally deflate-compressed. String arrays (file names,
// class names) are 1-D datasets of variable-length UTF-8 strings, as h5py writes a list of str.
#include <cstdint>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace uniad::h5 {

class File {
 public:
  // Opens an existing file for reading. Throws when it is missing or not a readable HDF5 file.
  static File open_read(const std::string& path);
  // Creates a file for writing, truncating any existing file of that name.
  static File create(const std::string& path);
  // Opens an existing file for reading and writing (to continue a partly written file).
  static File open_write(const std::string& path);

  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File();  // closes quietly; call close() to learn about errors while flushing

  // Flushes and closes; throws when HDF5 reports an error. Idempotent.
  void close();
  // Pushes everything written so far to the disk, so that a crash after this point keeps it.
  void flush();

  const std::string& path() const { return path_; }
  bool writable() const { return writable_; }

  // ---- tensors ----
  // Writes `t` (any layout; views are made contiguous first) as a new dataset. Throws when
  // something already exists at `dataset`: two tensors with one name is a bug in the caller.
  void write(const std::string& dataset, const Tensor& t);
  // Reads a dataset in its stored dtype and shape (a scalar dataspace gives shape []).
  Tensor read(const std::string& dataset) const;
  // Reads and checks the stored dtype (and shape), naming both sides when they differ.
  Tensor read(const std::string& dataset, DType expected) const;
  Tensor read(const std::string& dataset, DType expected, const Shape& expected_shape) const;
  // Reads into an existing tensor of matching dtype and shape (e.g. a parameter being loaded).
  void read_into(const std::string& dataset, Tensor& dst) const;

  // ---- scalar datasets ----
  void write_int(const std::string& dataset, int64_t value);
  void write_string(const std::string& dataset, const std::string& value);
  int64_t read_int(const std::string& dataset) const;
  std::string read_string(const std::string& dataset) const;

  // ---- chunked datasets, written and read a run of rows (axis 0) at a time ----
  // Element types a chunked dataset may store: the tensor dtypes plus uint8 (masks, pixels).
  enum class Stored { Float32, Float64, Int64, UInt8 };
  // Creates a dataset of `shape` (rank >= 1) split into chunks of `chunk` rows along axis 0
  // (the other axes whole); `deflate` 1-9 compresses each chunk with zlib, 0 stores it raw.
  // Chunks never written read back as zeros and take no space. Axis 0 may grow (extend_rows).
  void create_chunked(const std::string& dataset, Stored type, const Shape& shape, int64_t chunk_rows,
                      int deflate = 0);
  // Grows axis 0 of a chunked dataset to `rows` (never shrinks it).
  void extend_rows(const std::string& dataset, int64_t rows);
  // Writes rows [first, first + rows.size(0)) from a tensor whose dtype matches the stored type
  // and whose other dimensions match the dataset's.
  void write_rows(const std::string& dataset, int64_t first, const Tensor& rows);
  // The same for uint8 datasets: `values` holds `count` rows, row-major.
  void write_rows_u8(const std::string& dataset, int64_t first, int64_t count, const uint8_t* values);
  // Rows [first, first + count) of a float32/float64/int64 dataset (chunked or not).
  Tensor read_rows(const std::string& dataset, int64_t first, int64_t count) const;
  // Rows [first, first + rows.size(0)) straight into `rows` (contiguous, of the stored dtype and
  // row shape): no second copy when filling a slice of a larger tensor.
  void read_rows_into(const std::string& dataset, int64_t first, Tensor& rows) const;
  // Rows [first, first + count) of a uint8 dataset, row-major.
  std::vector<uint8_t> read_rows_u8(const std::string& dataset, int64_t first, int64_t count) const;
  // The stored shape of a dataset, without reading it ([] for a scalar).
  Shape shape_of(const std::string& dataset) const;

  // ---- string arrays (1-D datasets of variable-length UTF-8 strings) ----
  void write_strings(const std::string& dataset, const std::vector<std::string>& values);
  std::vector<std::string> read_strings(const std::string& dataset) const;

  // ---- attributes of a group or dataset ("/" is the root group) ----
  void set_attr(const std::string& object, const std::string& name, int64_t value);
  void set_attr(const std::string& object, const std::string& name, double value);
  void set_attr(const std::string& object, const std::string& name, const std::string& value);
  void set_attr(const std::string& object, const std::string& name, const char* value) {
    set_attr(object, name, std::string(value));
  }
  bool has_attr(const std::string& object, const std::string& name) const;
  int64_t attr_int(const std::string& object, const std::string& name) const;
  double attr_double(const std::string& object, const std::string& name) const;  // integers convert
  std::string attr_string(const std::string& object, const std::string& name) const;

  // ---- structure ----
  bool exists(const std::string& path) const;  // any group or dataset at `path`
  // Full paths of the datasets directly in `group` (or anywhere below it when recursive),
  // sorted by name. Creating a group explicitly is rarely needed: write() makes them.
  std::vector<std::string> list_datasets(const std::string& group = "/", bool recursive = false) const;
  std::vector<std::string> list_groups(const std::string& group = "/") const;
  void create_group(const std::string& group);

 private:
  File(int64_t id, std::string path, bool writable);
  void require_open(const std::string& what) const;
  void require_writable(const std::string& what) const;

  int64_t id_ = -1;  // hid_t; kept as int64_t so that this header does not include hdf5.h
  std::string path_;
  bool writable_ = false;
};

}  // namespace uniad::h5

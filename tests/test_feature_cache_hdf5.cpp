// The HDF5 pieces the feature cache is built on: chunked datasets written a run of rows at a
// time (float32 and compressed uint8), growing, reopening for writing, and string arrays.
#include <hdf5.h>

#include "tensor/hdf5_io.h"
#include "test_util.h"

using namespace uniad;
using test::contains;
using test::error_of;
using test::TempPath;

TEST_CASE("hdf5 chunked: rows written in batches read back, and unwritten rows are zeros") {
  TempPath tmp("chunked.h5");
  const Tensor all = test::randn({7, 3, 2, 2}, 1, DType::Float32);  // [N, C, G, G]
  {
    h5::File f = h5::File::create(tmp.str());
    f.create_chunked("/train/features", h5::File::Stored::Float32, {9, 3, 2, 2}, 3);
    f.write_rows("/train/features", 0, all.slice(0, 0, 3));
    f.write_rows("/train/features", 3, all.slice(0, 3, 6));
    f.write_rows("/train/features", 6, all.slice(0, 6, 7));  // a short last batch
    f.write_rows("/train/features", 7, Tensor::zeros({0, 3, 2, 2}));  // nothing: fine
    f.close();
  }
  h5::File f = h5::File::open_read(tmp.str());
  CHECK(f.shape_of("/train/features") == Shape{9, 3, 2, 2});
  test::check_close("chunked rows 0-6", f.read_rows("/train/features", 0, 7), all, 0.0);
  test::check_close("chunked rows 2-4", f.read_rows("/train/features", 2, 3), all.slice(0, 2, 5), 0.0);
  test::check_close("unwritten rows", f.read_rows("/train/features", 7, 2), Tensor::zeros({2, 3, 2, 2}), 0.0);
  test::check_close("whole chunked dataset via read()", f.read("/train/features").slice(0, 0, 7), all, 0.0);
  CHECK(f.read_rows("/train/features", 9, 0).shape() == Shape{0, 3, 2, 2});
}

TEST_CASE("hdf5 chunked: uint8 with deflate, growing, reopening, and errors") {
  TempPath tmp("chunked_u8.h5");
  std::vector<uint8_t> masks(4 * 8 * 8, 0);  // [4, 8, 8]
  for (int i = 0; i < 8; ++i) masks[2 * 64 + i * 8 + i] = 1;  // a diagonal in mask 2
  {
    h5::File f = h5::File::create(tmp.str());
    f.create_chunked("/m", h5::File::Stored::UInt8, {4, 8, 8}, 2, /*deflate=*/4);
    f.write_rows_u8("/m", 0, 2, masks.data());
    f.flush();
    f.close();
  }
  {
    h5::File f = h5::File::open_write(tmp.str());  // continue the file
    f.write_rows_u8("/m", 2, 2, masks.data() + 2 * 64);
    f.create_chunked("/empty", h5::File::Stored::Int64, {0}, 16);  // N = 0 with a taller chunk
    f.create_chunked("/grow", h5::File::Stored::Float64, {2, 3}, 4);
    f.extend_rows("/grow", 5);
    f.write_rows("/grow", 3, Tensor::ones({2, 3}, DType::Float64));
    f.close();
  }
  h5::File f = h5::File::open_read(tmp.str());
  CHECK(f.read_rows_u8("/m", 0, 4) == masks);
  CHECK(f.read_rows_u8("/m", 2, 1) == std::vector<uint8_t>(masks.begin() + 128, masks.begin() + 192));
  CHECK(f.shape_of("/empty") == Shape{0});
  CHECK(f.shape_of("/grow") == Shape{5, 3});
  CHECK(f.read_rows("/grow", 3, 2).to_vector() == std::vector<double>(6, 1.0));

  const std::string name = tmp.str();
  std::string e = error_of([&] { f.read_rows("/m", 0, 1); });
  CHECK(contains(e, "/m"));
  CHECK(contains(e, "uint8"));
  e = error_of([&] { f.read_rows_u8("/m", 3, 2); });
  CHECK(contains(e, "rows [3, 5) are outside the stored 4 rows"));
  e = error_of([&] { f.read_rows("/nope", 0, 1); });
  CHECK(contains(e, name));
  CHECK(contains(e, "/nope"));
  f.close();
  h5::File w = h5::File::open_write(tmp.str());
  e = error_of([&] { w.write_rows("/grow", 0, Tensor::ones({1, 3}, DType::Float32)); });
  CHECK(contains(e, "float32 rows into a float64 dataset"));
  e = error_of([&] { w.write_rows("/grow", 0, Tensor::ones({1, 4}, DType::Float64)); });
  CHECK(contains(e, "do not fit"));
  e = error_of([&] { w.create_chunked("/m", h5::File::Stored::UInt8, {1}, 1); });
  CHECK(contains(e, "already exists"));
  e = error_of([&] { w.write_rows_u8("/grow", 0, 1, masks.data()); });
  CHECK(contains(e, "uint8 rows into a float64"));
  CHECK(contains(error_of([] { h5::File::open_write("/nonexistent/x.h5"); }), "no such file"));
}

TEST_CASE("hdf5 strings: variable-length arrays round trip, and fixed-length arrays (numpy bytes) read") {
  TempPath tmp("strings.h5");
  const std::vector<std::string> names = {"bottle", "", "T-shirt/top", "caf\xc3\xa9"};
  {
    h5::File f = h5::File::create(tmp.str());
    f.write_strings("/names", names);
    f.write_strings("/none", {});
    f.close();
  }
  {  // What numpy's np.array([b"ab", b"cde"]) writes through h5py: fixed width 3, null padded.
    const hid_t id = H5Fopen(tmp.str().c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, 3);
    H5Tset_strpad(type, H5T_STR_NULLPAD);
    const hsize_t n = 2;
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    const hid_t ds = H5Dcreate2(id, "/fixed", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const char data[6] = {'a', 'b', '\0', 'c', 'd', 'e'};
    H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    H5Dclose(ds);
    H5Sclose(space);
    H5Tclose(type);
    H5Fclose(id);
  }
  h5::File f = h5::File::open_read(tmp.str());
  CHECK(f.read_strings("/names") == names);
  CHECK(f.read_strings("/none").empty());
  CHECK(f.read_strings("/fixed") == std::vector<std::string>{"ab", "cde"});
  f.close();
  h5::File w = h5::File::open_write(tmp.str());
  w.write("/numbers", Tensor::zeros({2}));
  CHECK(contains(error_of([&] { w.read_strings("/numbers"); }), "expected strings, stored float32"));
  CHECK(contains(error_of([&] { w.write_strings("/names", {"x"}); }), "already exists"));
}

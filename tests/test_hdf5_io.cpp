// HDF5 tensor I/O: round trips of every dtype (including views and edge shapes), attributes,
// scalar datasets, listing, and the error messages for missing, damaged and mismatched data.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <hdf5.h>

#include "tensor/hdf5_io.h"
#include "test_util.h"

using namespace uniad;
using test::contains;
using test::error_of;
using test::TempPath;
namespace fs = std::filesystem;

namespace {




void check_same(const std::string& what, const Tensor& got, const Tensor& want) {
  CHECK(got.dtype() == want.dtype());
  test::check_close(what, got, want, 0.0);  // storage is bit exact: zero tolerance
}

}  // namespace

TEST_CASE("hdf5: round trip of float32, float64, int64, views and edge shapes") {
  TempPath tmp("roundtrip.h5");
  const Tensor f32 = test::randn({2, 3, 4}, 1, DType::Float32);
  const Tensor f64 = test::randn({5}, 2, DType::Float64);
  const Tensor i64 = Tensor::from_indices({-3, 0, 7, int64_t(1) << 40, 5, 6}, {2, 3});
  // A non-contiguous view: transposed, then every other column.
  const Tensor base = test::randn({4, 6}, 3, DType::Float64);
  const Tensor view = base.transpose(0, 1).slice(1, 0, 4, 2);  // [6, 2]
  REQUIRE_FALSE(view.is_contiguous());
  const Tensor scalar = Tensor::scalar(2.5, DType::Float64);
  const Tensor empty = Tensor::zeros({0, 3}, DType::Float32);
  {
    h5::File f = h5::File::create(tmp.str());
    f.write("/a/b/f32", f32);  // intermediate groups are created
    f.write("a/f64", f64);     // a leading "/" is optional
    f.write("/i64", i64);
    f.write("/views/transposed", view);
    f.write("/scalar", scalar);
    f.write("/empty", empty);
    f.close();
  }
  h5::File f = h5::File::open_read(tmp.str());
  check_same("hdf5 float32", f.read("/a/b/f32"), f32);
  check_same("hdf5 float64", f.read("/a/f64"), f64);
  check_same("hdf5 int64", f.read("/i64", DType::Int64, {2, 3}), i64);
  check_same("hdf5 non-contiguous view", f.read("/views/transposed"), view);
  check_same("hdf5 scalar []", f.read("/scalar"), scalar);
  CHECK(f.read("/empty").shape() == Shape{0, 3});

  // Reading into an existing (non-contiguous) destination, as a checkpoint loader does.
  Tensor dst_base = Tensor::zeros({6, 4}, DType::Float64);
  Tensor dst = dst_base.slice(1, 1, 3);  // [6, 2], strided
  f.read_into("/views/transposed", dst);
  check_same("hdf5 read_into strided destination", dst, view);

  CHECK(f.exists("/a/b"));
  CHECK(f.exists("/a/b/f32"));
  CHECK_FALSE(f.exists("/a/missing/deeper"));
  CHECK(f.list_datasets("/") == std::vector<std::string>{"/empty", "/i64", "/scalar"});
  CHECK(f.list_datasets("/a", true) == std::vector<std::string>{"/a/b/f32", "/a/f64"});
  CHECK(f.list_datasets("/", true).size() == 6);
  CHECK(f.list_groups("/") == std::vector<std::string>{"/a", "/views"});
}

TEST_CASE("hdf5: attributes and scalar datasets") {
  TempPath tmp("attrs.h5");
  {
    h5::File f = h5::File::create(tmp.str());
    f.create_group("/case/conv");
    f.set_attr("/case/conv", "stride", int64_t{2});
    f.set_attr("/case/conv", "eps", 1e-5);
    f.set_attr("/case/conv", "op", "conv2d");
    f.set_attr("/case/conv", "op", "conv2d, replaced");  // attributes may be overwritten
    f.set_attr("/", "format_version", int64_t{1});
    f.write("/case/conv/x", Tensor::ones({2}, DType::Float32));
    f.set_attr("/case/conv/x", "role", "input");
    f.write_int("/meta/step", -42);
    f.write_string("/meta/name", "uniad \xce\xb1");  // UTF-8 survives
    f.close();
    f.close();  // idempotent
  }
  h5::File f = h5::File::open_read(tmp.str());
  CHECK(f.attr_int("/case/conv", "stride") == 2);
  CHECK(f.attr_double("/case/conv", "eps") == 1e-5);
  CHECK(f.attr_double("/case/conv", "stride") == 2.0);  // integers read as reals
  CHECK(f.attr_string("/case/conv", "op") == "conv2d, replaced");
  CHECK(f.attr_int("/", "format_version") == 1);
  CHECK(f.attr_string("/case/conv/x", "role") == "input");
  CHECK(f.has_attr("/case/conv", "eps"));
  CHECK_FALSE(f.has_attr("/case/conv", "padding"));
  CHECK_FALSE(f.has_attr("/nowhere", "padding"));
  CHECK(f.read_int("/meta/step") == -42);
  CHECK(f.read_string("/meta/name") == "uniad \xce\xb1");
  CHECK(f.list_datasets("/meta") == std::vector<std::string>{"/meta/name", "/meta/step"});

  CHECK(contains(error_of([&] { f.attr_int("/case/conv", "padding"); }), "/case/conv@padding: no such attribute"));
  CHECK(contains(error_of([&] { f.attr_int("/case/conv", "op"); }), "expected an integer, stored string"));
  CHECK(contains(error_of([&] { f.attr_int("/case/conv", "eps"); }), "expected an integer, stored float64"));
  CHECK(contains(error_of([&] { f.attr_string("/case/conv", "stride"); }), "expected a string, stored int64"));
  CHECK(contains(error_of([&] { f.read_int("/meta/name"); }), "/meta/name: expected an integer, stored string"));
  CHECK(contains(error_of([&] { f.read_int("/case/conv/x"); }), "expected a single value, stored shape [2]"));
}

TEST_CASE("hdf5: missing file, missing dataset, wrong kind of object") {
  TempPath missing("does_not_exist.h5");
  const std::string msg = error_of([&] { h5::File::open_read(missing.str()); });
  CHECK(contains(msg, missing.str()));
  CHECK(contains(msg, "no such file"));

  CHECK(contains(error_of([] { h5::File::create("/nonexistent_dir_uniad/x.h5"); }), "cannot create"));

  TempPath tmp("missing_dataset.h5");
  {
    h5::File f = h5::File::create(tmp.str());
    f.write("/group/x", Tensor::zeros({2}, DType::Float64));
  }  // closed by the destructor
  h5::File f = h5::File::open_read(tmp.str());
  const std::string m = error_of([&] { f.read("/group/y"); });
  CHECK(contains(m, tmp.str() + ": /group/y: no such group or dataset"));
  CHECK(contains(error_of([&] { f.read("/other/deep/y"); }), "/other/deep/y: no such group or dataset"));
  CHECK(contains(error_of([&] { f.read("/group"); }), "/group: is a group, not a dataset"));
  CHECK(contains(error_of([&] { f.list_datasets("/group/x"); }), "is a dataset, not a group"));
  CHECK(contains(error_of([&] { f.write("/group/z", Tensor::zeros({1})); }), "opened read-only"));
  CHECK(contains(error_of([&] { f.read(""); }), "empty path"));
  f.close();
  CHECK(contains(error_of([&] { f.read("/group/x"); }), "file is closed"));
}

TEST_CASE("hdf5: writing over an existing dataset is refused") {
  TempPath tmp("dup.h5");
  h5::File f = h5::File::create(tmp.str());
  f.write("/w", Tensor::zeros({2}));
  CHECK(contains(error_of([&] { f.write("/w", Tensor::ones({2})); }), "/w: already exists"));
  CHECK(contains(error_of([&] { f.write_int("/w", 1); }), "/w: already exists"));
  CHECK(contains(error_of([&] { f.write("/u", Tensor()); }), "undefined tensor"));
}

TEST_CASE("hdf5: corrupt and truncated files give an Error, not a crash") {
  TempPath garbage("garbage.h5");
  {
    std::ofstream out(garbage.path, std::ios::binary);
    for (int i = 0; i < 4096; ++i) out.put(static_cast<char>((i * 131 + 7) & 0xff));
  }
  const std::string msg = error_of([&] { h5::File::open_read(garbage.str()); });
  CHECK(contains(msg, garbage.str()));
  CHECK(contains(msg, "not a readable HDF5 file"));

  TempPath empty("empty.h5");
  { std::ofstream out(empty.path, std::ios::binary); }
  CHECK(contains(error_of([&] { h5::File::open_read(empty.str()); }), "not a readable HDF5 file"));

  // A real file cut short: the superblock survives, the data does not.
  TempPath cut("truncated.h5");
  {
    h5::File f = h5::File::create(cut.str());
    f.write("/big", test::randn({64, 64}, 5));
  }
  const auto full_size = fs::file_size(cut.path);
  fs::resize_file(cut.path, full_size / 2);
  const std::string m = error_of([&] {
    h5::File f = h5::File::open_read(cut.str());
    f.read("/big");
  });
  CHECK(contains(m, cut.str()));

  // Intact superblock, scribbled-over metadata (group B-trees and heaps follow the first 96 bytes).
  TempPath scribbled("scribbled.h5");
  {
    h5::File f = h5::File::create(scribbled.str());
    f.write("/g/big", test::randn({64, 64}, 5));
  }
  {
    std::fstream io(scribbled.path, std::ios::binary | std::ios::in | std::ios::out);
    io.seekp(96);
    for (int i = 0; i < 2000; ++i) io.put(static_cast<char>((i * 37 + 11) & 0xff));
  }
  const std::string s = error_of([&] {
    h5::File f = h5::File::open_read(scribbled.str());
    f.read("/g/big");
  });
  CHECK(contains(s, scribbled.str()));
}

TEST_CASE("hdf5: dtype and shape mismatches name both sides") {
  TempPath tmp("golden_ops.h5");
  {
    h5::File f = h5::File::create(tmp.str());
    f.write("/conv2d/weight", test::randn({3, 2}, 6, DType::Float64));
  }
  h5::File f = h5::File::open_read(tmp.str());
  CHECK(contains(error_of([&] { f.read("/conv2d/weight", DType::Float32); }),
                 tmp.str() + ": /conv2d/weight: expected float32, stored float64"));
  CHECK(contains(error_of([&] { f.read("/conv2d/weight", DType::Float64, {2, 3}); }),
                 "/conv2d/weight: expected shape [2, 3], stored [3, 2]"));
  Tensor wrong_dtype = Tensor::zeros({3, 2}, DType::Float32);
  CHECK(contains(error_of([&] { f.read_into("/conv2d/weight", wrong_dtype); }), "expected float32, stored float64"));
  Tensor wrong_shape = Tensor::zeros({6}, DType::Float64);
  CHECK(contains(error_of([&] { f.read_into("/conv2d/weight", wrong_shape); }), "expected shape [6], stored [3, 2]"));
}

TEST_CASE("hdf5: stored types other than float32, float64, int64 are refused by name") {
  // Written with the C API directly, as another tool might (our writer never makes int32).
  TempPath tmp("int32.h5");
  {
    const hid_t file = H5Fcreate(tmp.str().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const hsize_t dims[1] = {3};
    const hid_t space = H5Screate_simple(1, dims, nullptr);
    const hid_t ds = H5Dcreate2(file, "/counts", H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const int32_t values[3] = {1, 2, 3};
    H5Dwrite(ds, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
    H5Dclose(ds);
    H5Sclose(space);
    H5Fclose(file);
  }
  h5::File f = h5::File::open_read(tmp.str());
  CHECK(contains(error_of([&] { f.read("/counts"); }), "/counts: stored type int32 is not float32, float64 or int64"));
}

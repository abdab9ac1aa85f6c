// The feature cache's resume semantics and its errors: an interrupted run (exception, or a
// process killed without closing the file) continues to the same file contents as an
// uninterrupted one; a partial file from another configuration, extractor or sample list is
// refused; truncated and foreign files name the file and what is missing.
#include <omp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <hdf5.h>

#include "data/feature_cache.h"
#include "tensor/hdf5_io.h"
#include "test_feature_cache_fakes.h"

using namespace uniad;
using test::contains;
using test::error_of;
using test::FakeExtractor;
using test::TempDir;
namespace fs = std::filesystem;

namespace {

struct Stop : std::runtime_error {
  Stop() : std::runtime_error("stopped by the test") {}
};

// train 6 = 3 batches, test 5 = 3 batches.
data::FeatureCacheConfig tiny_config(const std::string& root) { return test::tiny_cache_config(root, 2); }

// Every dataset and root attribute of two caches must be equal (bit for bit for the numbers).
void check_same_contents(const std::string& a, const std::string& b) {
  const h5::File fa = h5::File::open_read(a), fb = h5::File::open_read(b);
  const std::vector<std::string> names = fa.list_datasets("/", true);
  REQUIRE(names == fb.list_datasets("/", true));
  for (const std::string& name : names) {
    const Shape shape = fa.shape_of(name);
    if (name == "/test/masks") {
      CHECK_MESSAGE(fa.read_rows_u8(name, 0, shape[0]) == fb.read_rows_u8(name, 0, shape[0]), name);
    } else if (name == "/class_names" || name.ends_with("/defects") || name.ends_with("/files") ||
               name.ends_with("/paths")) {
      CHECK_MESSAGE(fa.read_strings(name) == fb.read_strings(name), name);
    } else {
      test::check_close(name, fa.read(name), fb.read(name), 0.0);
    }
  }
  for (const char* attr : {"format", "config", "extractor", "data", "preprocessing", "samples_fingerprint"})
    CHECK_MESSAGE(fa.attr_string("/", attr) == fb.attr_string("/", attr), attr);
  CHECK(fa.attr_int("/", "complete") == 1);
  CHECK(fb.attr_int("/", "complete") == 1);
  for (const char* g : {"/train", "/test"}) CHECK(fa.attr_int(g, "completed") == fb.attr_int(g, "completed"));
}

// An interrupted run: the progress callback throws once `stop_at` samples are done.
void interrupted_run(const data::FeatureCacheConfig& c, const data::Dataset& d, const std::string& out,
                     int64_t stop_at) {
  FakeExtractor fake(32);
  data::FeatureCacheOptions options;
  options.progress = [&](int64_t done, int64_t) {
    if (done >= stop_at) throw Stop();
  };
  CHECK_THROWS_AS(data::build_feature_cache(c, d, fake, out, options), Stop);
  CHECK(fs::exists(out + ".partial"));
  CHECK_FALSE(fs::exists(out));
}

}  // namespace

TEST_CASE("feature cache resume: an interrupted run continues to the same contents") {
  TempDir dir("fc_resume");
  test::write_tiny_mvtec(dir / "data");
  const data::FeatureCacheConfig c = tiny_config(dir / "data");
  const data::Dataset d = data::open_configured_dataset(c.data);
  FakeExtractor whole(32);
  data::build_feature_cache(c, d, whole, dir / "whole.h5");

  // Stopped inside train (after 2 batches) and inside test (after train and 1 test batch).
  for (int64_t stop_at : {4, 8}) {
    CAPTURE(stop_at);
    const std::string out = dir / ("resumed_" + std::to_string(stop_at) + ".h5");
    interrupted_run(c, d, out, stop_at);
    {
      const h5::File partial = h5::File::open_read(out + ".partial");
      CHECK(partial.attr_int("/", "complete") == 0);
      CHECK(partial.attr_int("/train", "completed") == std::min<int64_t>(stop_at, 6));
      CHECK(partial.attr_int("/test", "completed") == stop_at - std::min<int64_t>(stop_at, 6));
    }
    CHECK(contains(error_of([&] { data::read_feature_split(out + ".partial", "train"); }), "incomplete"));
    FakeExtractor rest(32);
    std::vector<int64_t> dones;
    data::FeatureCacheOptions options;
    options.progress = [&](int64_t done, int64_t) { dones.push_back(done); };
    const data::FeatureCacheSummary s = data::build_feature_cache(c, d, rest, out, options);
    CHECK(s.resumed_from == stop_at);
    CHECK(s.extracted == 11 - stop_at);
    CHECK(rest.images_seen == 11 - stop_at);  // nothing done twice
    CHECK(dones.front() == stop_at);
    CHECK_FALSE(fs::exists(out + ".partial"));
    check_same_contents(out, dir / "whole.h5");
  }
}

TEST_CASE("feature cache resume: a process killed without closing the file continues") {
  TempDir dir("fc_killed");
  test::write_tiny_mvtec(dir / "data");
  const data::FeatureCacheConfig c = tiny_config(dir / "data");
  const data::Dataset d = data::open_configured_dataset(c.data);
  FakeExtractor whole(32);
  data::build_feature_cache(c, d, whole, dir / "whole.h5");

  const std::string out = dir / "killed.h5";
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The child: one thread (OpenMP's pool does not survive fork), then _exit in the middle of
    // the 4th extractor call, with 3 batches flushed: no destructor, no HDF5 close.
    omp_set_num_threads(1);
    FakeExtractor dying(32);
    dying.on_call = [](int64_t call) {
      if (call == 4) ::_exit(42);
    };
    try {
      data::build_feature_cache(c, d, dying, out);
    } catch (...) {
    }
    ::_exit(1);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 42);
  REQUIRE(fs::exists(out + ".partial"));

  FakeExtractor rest(32);
  const data::FeatureCacheSummary s = data::build_feature_cache(c, d, rest, out);
  CHECK(s.resumed_from == 6);  // train's 3 batches
  CHECK(rest.images_seen == 5);
  check_same_contents(out, dir / "whole.h5");
}

TEST_CASE("feature cache resume: another configuration, extractor or sample list is refused, and --restart starts over") {
  TempDir dir("fc_mismatch");
  test::write_tiny_mvtec(dir / "data");
  const data::FeatureCacheConfig c = tiny_config(dir / "data");
  const data::Dataset d = data::open_configured_dataset(c.data);
  const std::string out = dir / "f.h5";
  interrupted_run(c, d, out, 2);

  data::FeatureCacheConfig other = c;
  other.backbone.scaling = "unit";
  FakeExtractor fake(32);
  std::string e = error_of([&] { data::build_feature_cache(other, d, fake, out); });
  CHECK(contains(e, out + ".partial"));
  CHECK(contains(e, "backbone.scaling"));
  CHECK(contains(e, "\"auto\""));
  CHECK(contains(e, "--restart"));
  CHECK(fake.calls == 0);

  // Output path and thread count are not part of the identity.
  data::FeatureCacheConfig moved = c;
  moved.features.out = "elsewhere.h5";
  moved.features.threads = 1;
  FakeExtractor other_name(32, "another-fake");
  e = error_of([&] { data::build_feature_cache(moved, d, other_name, out); });
  CHECK(contains(e, "another extractor"));
  CHECK(contains(e, "another-fake"));

  data::Dataset changed = d;
  changed.train.pop_back();
  e = error_of([&] { data::build_feature_cache(c, changed, fake, out); });
  CHECK(contains(e, "sample list changed"));

  data::FeatureCacheOptions restart;
  restart.restart = true;
  const data::FeatureCacheSummary s = data::build_feature_cache(other, d, fake, out, restart);
  CHECK(s.resumed_from == 0);
  CHECK(s.extracted == 11);
  CHECK(data::read_feature_cache_info(out).config["backbone"]["scaling"] == "unit");
}

TEST_CASE("feature cache: corrupt partial, truncated, foreign and missing files give clear errors") {
  TempDir dir("fc_errors");
  test::write_tiny_mvtec(dir / "data");
  const data::FeatureCacheConfig c = tiny_config(dir / "data");
  const data::Dataset d = data::open_configured_dataset(c.data);
  FakeExtractor fake(32);
  const std::string out = dir / "f.h5";

  {  // A partial file that is not HDF5 at all.
    std::ofstream(out + ".partial") << "not an HDF5 file";
    const std::string e = error_of([&] { data::build_feature_cache(c, d, fake, out); });
    CHECK(contains(e, out + ".partial"));
    CHECK(contains(e, "cannot continue"));
    CHECK(contains(e, "--restart"));
  }
  data::FeatureCacheOptions restart;
  restart.restart = true;
  data::build_feature_cache(c, d, fake, out, restart);

  // Truncated: the first half of a good cache.
  const std::string half = dir / "half.h5";
  {
    std::ifstream in(out, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(half, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  std::string e = error_of([&] { data::read_feature_split(half, "train"); });
  CHECK(contains(e, half));

  // Foreign: an HDF5 file holding something else names the first missing dataset.
  const std::string foreign = dir / "foreign.h5";
  {
    h5::File f = h5::File::create(foreign);
    f.write("/weights", Tensor::zeros({2, 2}));
    f.close();
  }
  e = error_of([&] { data::read_feature_split(foreign, "test"); });
  CHECK(contains(e, foreign));
  CHECK(contains(e, "/class_names"));
  CHECK(contains(e, "missing dataset"));

  // A cache with one dataset removed (e.g. written by a buggy tool) names that dataset.
  const std::string gutted = dir / "gutted.h5";
  fs::copy_file(out, gutted);
  const hid_t id = H5Fopen(gutted.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  REQUIRE(id >= 0);
  CHECK(H5Ldelete(id, "/test/masks", H5P_DEFAULT) >= 0);
  H5Fclose(id);
  e = error_of([&] { data::read_feature_split(gutted, "train"); });
  CHECK(contains(e, gutted));
  CHECK(contains(e, "/test/masks: missing dataset"));

  e = error_of([&] { data::read_feature_split(dir / "missing.h5", "train"); });
  CHECK(contains(e, "missing.h5"));
  CHECK(contains(e, "no such file"));
}

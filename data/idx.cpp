#include "data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>

namespace uniad::data {
namespace {

// gzFile with its gzclose, so every error path closes the file.
using GzFile = std::unique_ptr<gzFile_s, decltype(&gzclose)>;

// Reads exactly n bytes or returns how many it got (fewer means the file ended early).
int64_t read_bytes(gzFile f, uint8_t* dst, int64_t n) {
  int64_t got = 0;
  while (got < n) {
    // gzread takes an unsigned count; read in chunks well below its limit.
    const unsigned chunk = static_cast<unsigned>(std::min<int64_t>(n - got, int64_t{1} << 30));
    const int r = gzread(f, dst + got, chunk);
    // A gzip stream cut short returns its partial data first and reports Z_BUF_ERROR after; name
    // that rather than calling the file merely truncated, since its header may well be right.
    int code = Z_OK;
    const char* message = gzerror(f, &code);
    if (r < 0 || (code != Z_OK && code != Z_STREAM_END))
      throw Error(cat("read_idx: read error: ", message));  // zlib's message starts with the path
    if (r == 0) break;
    got += r;
  }
  return got;
}

uint32_t big_endian_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

std::string dims_str(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  UNIAD_CHECK(std::filesystem::is_regular_file(path), "read_idx: ", path, ": no such file");
  GzFile f(gzopen(path.c_str(), "rb"), &gzclose);
  UNIAD_CHECK(f != nullptr, "read_idx: ", path, ": cannot open");

  uint8_t magic[4];
  UNIAD_CHECK(read_bytes(f.get(), magic, 4) == 4, "read_idx: ", path, ": truncated header (under 4 bytes)");
  UNIAD_CHECK(magic[0] == 0 && magic[1] == 0, "read_idx: ", path, ": bad magic (first two bytes ", int(magic[0]),
              " ", int(magic[1]), ", expected 0 0): not an IDX file");
  UNIAD_CHECK(magic[2] == 0x08, "read_idx: ", path, ": element type 0x", std::hex, int(magic[2]),
              " is not supported (only 0x08, unsigned byte)");
  const int rank = magic[3];
  UNIAD_CHECK(rank >= 1, "read_idx: ", path, ": zero dimensions in the header");

  IdxArray out;
  std::vector<uint8_t> sizes(4 * rank);
  UNIAD_CHECK(read_bytes(f.get(), sizes.data(), 4 * rank) == 4 * rank, "read_idx: ", path,
              ": truncated header (", rank, " dimensions announced)");
  int64_t total = 1;
  // A damaged header can announce sizes whose product overflows or cannot be allocated; refuse
  // anything over 64 GiB (Fashion-MNIST's largest file is 47 MB) before allocating.
  constexpr int64_t kMaxBytes = int64_t{1} << 36;
  for (int d = 0; d < rank; ++d) {
    out.dims.push_back(big_endian_u32(&sizes[4 * d]));
    UNIAD_CHECK(out.dims.back() == 0 || total <= kMaxBytes / out.dims.back(), "read_idx: ", path,
                ": dims ", dims_str(out.dims), "... announce over 64 GiB: corrupt header?");
    total *= out.dims.back();
  }
  out.values.resize(total);
  const int64_t got = read_bytes(f.get(), out.values.data(), total);
  UNIAD_CHECK(got == total, "read_idx: ", path, ": truncated: dims ", dims_str(out.dims), " need ", total,
              " bytes of data, the file has ", got);
  // A longer file usually means the header is wrong, which would silently misalign every image.
  uint8_t extra;
  UNIAD_CHECK(read_bytes(f.get(), &extra, 1) == 0, "read_idx: ", path, ": trailing bytes after the ", total,
              " bytes that dims ", dims_str(out.dims), " announce");
  return out;
}

ImageSet load_idx_pair(const std::string& images_path, const std::string& labels_path) {
  IdxArray images = read_idx(images_path);
  IdxArray labels = read_idx(labels_path);
  UNIAD_CHECK(images.dims.size() == 3, "load_idx_pair: ", images_path, ": expected images [N, H, W], got dims ",
              dims_str(images.dims));
  UNIAD_CHECK(labels.dims.size() == 1, "load_idx_pair: ", labels_path, ": expected labels [N], got dims ",
              dims_str(labels.dims));
  UNIAD_CHECK(images.dims[0] == labels.dims[0], "load_idx_pair: dims mismatch: ", images_path, " has ",
              images.dims[0], " images but ", labels_path, " has ", labels.dims[0], " labels");
  ImageSet set;
  set.count = images.dims[0];
  set.channels = 1;
  set.height = images.dims[1];
  set.width = images.dims[2];
  set.pixels = std::move(images.values);
  set.labels.assign(labels.values.begin(), labels.values.end());
  return set;
}

ImageSet load_fashion_mnist(const std::string& dir, bool train) {
  const std::string prefix = train ? "train" : "t10k";
  auto pick = [&](const std::string& name) {
    const std::filesystem::path base = std::filesystem::path(dir) / name;
    const std::string gz = base.string() + ".gz";
    if (std::filesystem::exists(gz)) return gz;
    UNIAD_CHECK(std::filesystem::exists(base), "load_fashion_mnist: ", dir, ": neither ", name, ".gz nor ", name,
                " found");
    return base.string();
  };
  const std::string images = pick(prefix + "-images-idx3-ubyte");  // first, so errors name images first
  return load_idx_pair(images, pick(prefix + "-labels-idx1-ubyte"));
}

}  // namespace uniad::data

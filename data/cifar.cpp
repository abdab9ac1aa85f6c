#include "data/cifar.h"

#include <filesystem>
#include <fstream>

namespace uniad::data {
namespace {

void append(ImageSet& into, ImageSet&& part) {
  into.count += part.count;
  into.pixels.insert(into.pixels.end(), part.pixels.begin(), part.pixels.end());
  into.labels.insert(into.labels.end(), part.labels.begin(), part.labels.end());
}

}  // namespace

ImageSet read_cifar_batch(const std::string& path) {
  UNIAD_CHECK(std::filesystem::is_regular_file(path), "read_cifar_batch: ", path, ": no such file");
  const int64_t size = static_cast<int64_t>(std::filesystem::file_size(path));
  UNIAD_CHECK(size > 0, "read_cifar_batch: ", path, ": empty file");
  UNIAD_CHECK(size % kCifarRecordBytes == 0, "read_cifar_batch: ", path, ": truncated: ", size,
              " bytes is not a whole number of ", kCifarRecordBytes, "-byte records (",
              size / kCifarRecordBytes, " records and ", size % kCifarRecordBytes, " bytes left over)");

  std::vector<uint8_t> raw(size);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(raw.data()), size);
  UNIAD_CHECK(in.gcount() == size, "read_cifar_batch: ", path, ": read ", in.gcount(), " of ", size, " bytes");

  ImageSet set;
  set.count = size / kCifarRecordBytes;
  set.channels = 3;
  set.height = set.width = kCifarSide;
  set.pixels.resize(set.count * set.image_bytes());
  set.labels.resize(set.count);
  for (int64_t i = 0; i < set.count; ++i) {
    const uint8_t* record = raw.data() + i * kCifarRecordBytes;
    // A label above 9 means the file is not CIFAR-10 (CIFAR-100's records have 2 label bytes).
    UNIAD_CHECK(record[0] <= 9, "read_cifar_batch: ", path, ": record ", i, " has label ", int(record[0]),
                ", expected 0-9 (is this CIFAR-100?)");
    set.labels[i] = record[0];
    std::copy(record + 1, record + kCifarRecordBytes, set.pixels.begin() + i * set.image_bytes());
  }
  return set;
}

ImageSet load_cifar10(const std::string& dir, bool train) {
  UNIAD_CHECK(std::filesystem::is_directory(dir), "load_cifar10: ", dir, ": no such directory");
  const std::filesystem::path root(dir);
  if (!train) return read_cifar_batch((root / "test_batch.bin").string());
  ImageSet set{0, 3, kCifarSide, kCifarSide, {}, {}};
  for (int b = 1; b <= 5; ++b) append(set, read_cifar_batch((root / cat("data_batch_", b, ".bin")).string()));
  return set;
}

}  // namespace uniad::data

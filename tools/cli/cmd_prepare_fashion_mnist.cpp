// uniad prepare fashion-mnist [--source DIR] [--out DIR] [--input-size S] [--eval-size S']
//
// Checks the Fashion-MNIST IDX files and writes the unified protocol's manifest and one
// `uniad features` configuration per split (data/fashion_mnist.h says why nothing is copied).
#include <cstdio>
#include <memory>
#include <string>

#include "data/fashion_mnist.h"
#include "tensor/error.h"
#include "tools/cli/commands.h"

namespace uniad::cli {

namespace {

struct PrepareOptions {
  std::string source = "/usr/share/datasets/fashion-mnist";
  std::string out = ".cache/fashion-mnist";
  int input_size = 224;
  int eval_size = 28;
};

void run_prepare(const PrepareOptions& o) {
  const data::FashionMnistPrepared p = data::prepare_fashion_mnist(o.source, o.out, o.input_size, o.eval_size);
  const nlohmann::json& m = p.manifest;
  std::printf("Fashion-MNIST in %s: %lld train and %lld test images, 28 x 28, 10 classes\n",
              m["source"].get<std::string>().c_str(), (long long)p.train, (long long)p.test);
  for (const auto& [split, s] : m["splits"].items())
    std::printf("  split %s: train %lld normal images; test %lld normal + %lld anomalous -> %s\n", split.c_str(),
                (long long)s["train"].get<int64_t>(), (long long)s["test_normal"].get<int64_t>(),
                (long long)s["test_anomalous"].get<int64_t>(), s["config"].get<std::string>().c_str());
  std::printf("wrote %zu files to %s; next: uniad features --config %s/fashion-mnist-01234.json\n",
              p.written.size(), o.out.c_str(), o.out.c_str());
}

}  // namespace

void add_prepare_fashion_mnist(CLI::App& parent) {
  auto opts = std::make_shared<PrepareOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "fashion-mnist",
      "Check the Fashion-MNIST IDX files and write the unified protocol: manifest.json (files, checksums, "
      "classes, counts per split) and one `uniad features` configuration per split (01234, 02468, 13579, 56789)");
  cmd->add_option("--source", opts->source, "Folder with {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]")
      ->capture_default_str();
  cmd->add_option("--out", opts->out, "Output folder")->capture_default_str();
  cmd->add_option("--input-size", opts->input_size, "data.input_size of the written configurations (backbone input)")
      ->capture_default_str();
  cmd->add_option("--eval-size", opts->eval_size,
                  "data.eval_size of the written configurations (Fashion-MNIST has no masks; keep it small)")
      ->capture_default_str();
  cmd->callback([opts] { run_prepare(*opts); });
}

}  // namespace uniad::cli

// manifest_fuzz: LoadModel() (core/model_store.h) on an arbitrary
// manifest.json, as the model registry reads it at start or on LoadModel.
// The model directory also holds block_001.weights, a valid 2-D block
// (width 8, depth 2) written once by SaveModel(), so that inputs naming it
// with its SHA-256 reach the block configuration and the weights reader.
// An accepted manifest must give a model whose blocks match its dimension.

#include <ATen/Parallel.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/flow_model.h"
#include "core/jko_block.h"
#include "core/model_store.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/scratch_dir.h"

namespace {

// kMaxBlockParams keeps accepted configurations small: a fuzz run
// allocates every block it reads (the server's default is 50 Mi).
constexpr int64_t kMaxBlockParams = int64_t{1} << 16;

// ModelDir() writes the reference model on first use and returns its
// directory.
const std::string& ModelDir() {
  static const std::string* const dir = [] {
    at::set_num_threads(1);
    auto* path = new std::string(jkoflow::ScratchDir() + "/model");
    jkoflow::JkoBlockConfig config;
    config.field = jkoflow::VelocityFieldOptions(2).width(8).depth(2);
    absl::StatusOr<jkoflow::JkoBlock> block =
        jkoflow::JkoBlock::Create(config, /*seed=*/1);
    FUZZ_CHECK(block.ok());
    jkoflow::FlowModel model(2);
    FUZZ_CHECK(model.AppendBlock(*std::move(block), {}).ok());
    FUZZ_CHECK(jkoflow::SaveModel(model, *path).ok());
    return path;
  }();
  return *dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& dir = ModelDir();
  jkoflow::WriteScratchFile(dir + "/manifest.json", data, size);
  const absl::StatusOr<jkoflow::FlowModel> model =
      jkoflow::LoadModel(dir, torch::Device("cpu"), kMaxBlockParams);
  if (!model.ok()) return 0;
  FUZZ_CHECK(model->dim() >= 1);
  for (int64_t i = 0; i < model->num_blocks(); ++i) {
    FUZZ_CHECK(model->block(i).config().field.dim() == model->dim());
  }
  return 0;
}

// jkoflow-make-perf-model: writes an untrained, seeded model of the
// `jkoflow-bench --perf` configuration (d = 2, 8 blocks, each a velocity
// field of 3 layers × 128 Softplus(β = 20) integrated with 3 RK4 steps,
// block k seeded 100 + k as in perf_bench.cc) into a server model store,
// as <model_dir>/<name>/v<version>. Serving throughput does not depend on
// training, so this model lets the service be measured on the same shape as
// the in-process sample_points_per_s figure (bench/service_load.sh).
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "core/flow_model.h"
#include "core/jko_block.h"
#include "core/model_store.h"

ABSL_FLAG(std::string, model_dir, "",
          "model store of the server (its --model_dir); required");
ABSL_FLAG(std::string, name, "perf", "model name");
ABSL_FLAG(int64_t, version, 1, "model version to write (replaced if present)");
ABSL_FLAG(int64_t, dim, 2, "dimension d");
ABSL_FLAG(int64_t, blocks, 8, "JKO blocks");
ABSL_FLAG(int64_t, width, 128, "hidden width of each velocity field");
ABSL_FLAG(int64_t, depth, 3, "layers of each velocity field");
ABSL_FLAG(int64_t, steps, 3, "RK4 steps per block");
ABSL_FLAG(uint64_t, seed, 100, "block k's weights are drawn from seed + k");

namespace jkoflow {
namespace {

// WritePerfModel() builds the untrained model and saves it atomically.
absl::Status WritePerfModel() {
  const std::string model_dir = absl::GetFlag(FLAGS_model_dir);
  if (model_dir.empty()) {
    return absl::InvalidArgumentError("--model_dir: required");
  }
  const int64_t dim = absl::GetFlag(FLAGS_dim);
  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  FlowModel model(dim);
  for (int64_t k = 0; k < absl::GetFlag(FLAGS_blocks); ++k) {
    JkoBlockConfig config;  // h = 0.25, as perf_bench.cc
    config.steps = absl::GetFlag(FLAGS_steps);
    config.field = VelocityFieldOptions(dim)
                       .width(absl::GetFlag(FLAGS_width))
                       .depth(absl::GetFlag(FLAGS_depth));
    ASSIGN_OR_RETURN(JkoBlock block, JkoBlock::Create(config, seed + k));
    BlockStats stats;
    stats.iterations = 0;  // untrained
    RETURN_IF_ERROR(model.AppendBlock(std::move(block), stats));
  }
  Provenance provenance;
  provenance.dataset = "untrained (perf configuration)";
  provenance.seed = seed;
  model.set_provenance(provenance);
  const std::string dir =
      absl::StrCat(model_dir, "/", absl::GetFlag(FLAGS_name), "/v",
                   absl::GetFlag(FLAGS_version));
  RETURN_IF_ERROR(SaveModel(model, dir));
  std::cout << "wrote " << dir << "\n";
  return absl::OkStatus();
}

}  // namespace
}  // namespace jkoflow

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "writes an untrained model of the --perf configuration into a model "
      "store.\nUsage: jkoflow-make-perf-model --model_dir=DIR [--name=perf]");
  const std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::cerr << "jkoflow-make-perf-model: unexpected argument " << rest[1]
              << "\n";
    return 2;
  }
  const absl::Status status = jkoflow::WritePerfModel();
  if (!status.ok()) {
    std::cerr << "jkoflow-make-perf-model: " << status << "\n";
    return 1;
  }
  return 0;
}

#include "tiny_model.h"

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "core/flow_model.h"
#include "core/jko_block.h"
#include "core/model_store.h"

namespace jkoflow {
namespace integration {

std::string ModelVersionDir(const std::string& model_dir,
                            const std::string& name, int64_t version) {
  return absl::StrCat(model_dir, "/", name, "/v", version);
}

absl::Status WriteUntrainedModel(const std::string& model_dir,
                                 const std::string& name, int64_t version,
                                 const UntrainedModelSpec& spec) {
  FlowModel model(spec.dim);
  for (int k = 0; k < spec.blocks; ++k) {
    JkoBlockConfig config;
    config.h = 0.25 * (k + 1);
    config.steps = spec.steps;
    config.field =
        VelocityFieldOptions(spec.dim).width(spec.width).depth(spec.depth);
    ASSIGN_OR_RETURN(JkoBlock block, JkoBlock::Create(config, spec.seed + k));
    BlockStats stats;
    stats.iterations = 0;
    RETURN_IF_ERROR(model.AppendBlock(std::move(block), stats));
  }
  Provenance provenance;
  provenance.dataset = "8gaussians?n=2000&seed=1";
  provenance.seed = spec.seed;
  model.set_provenance(provenance);
  return SaveModel(model, ModelVersionDir(model_dir, name, version));
}

}  // namespace integration
}  // namespace jkoflow

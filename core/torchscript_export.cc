#include "core/torchscript_export.h"

#include <torch/csrc/jit/api/module.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/flow_model.h"
#include "core/torch_status.h"
#include "core/torchscript_source.h"

namespace jkoflow {
namespace {

// Elements of one block's Jacobian product per log_prob pass: [rows, width,
// flow_dim] stays near 64 MB of float32.
constexpr int64_t kJacobianElements = int64_t{1} << 24;
constexpr int64_t kMaxChunkRows = 4096;

torch::Tensor CpuCopy(const torch::Tensor& t) {
  return t.detach().to(torch::kCPU).clone().contiguous();
}

// BlockModule() is block `index` as a module of its own class with its
// weights as buffers (torchscript_source.h, ScriptBlock).
torch::jit::Module BlockModule(const JkoBlock& block, int64_t index) {
  const VelocityFieldOptions& field = block.config().field;
  torch::jit::Module module(
      c10::QualifiedName(absl::StrCat("__torch__.jkoflow.Block", index)));
  const auto params = block.field()->named_parameters(/*recurse=*/true);
  for (int64_t l = 0; l <= field.depth(); ++l) {
    torch::Tensor w = CpuCopy(params[absl::StrCat("layer", l, ".weight")]);
    if (l == 0 && field.time_input()) {
      module.register_buffer("w0t", w.select(1, field.dim()).contiguous());
      w = w.narrow(1, 0, field.dim()).contiguous();
    }
    module.register_buffer(absl::StrCat("w", l), w);
    module.register_buffer(absl::StrCat("b", l),
                           CpuCopy(params[absl::StrCat("layer", l, ".bias")]));
  }
  ScriptBlock script;
  script.depth = field.depth();
  script.steps = block.config().steps;
  script.activation = ActivationName(field.activation());
  script.softplus_beta = field.softplus_beta();
  script.time_input = field.time_input();
  module.define(BlockScript(script));
  return module;
}

// RegisterTransform() puts the transform's parameters on `module` as
// buffers and returns what its text depends on.
ScriptTransform RegisterTransform(const DataTransform& transform,
                                  torch::jit::Module& module) {
  const DataTransform::Parameters& p = transform.parameters();
  const TransformSpec& s = p.steps;
  ScriptTransform script;
  script.dim = transform.dim();
  if (transform.Identity()) return script;
  script.dequantize = s.dequantize;
  script.marginal = s.marginal;
  script.scale = s.scale;
  script.logit = s.logit;
  script.standardize = s.standardize;
  script.whiten = s.whiten;
  script.project = s.project > 0;
  script.lower = p.lower;
  script.upper = p.upper;
  script.logit_alpha = s.logit_alpha;
  if (s.marginal) {
    script.levels = p.marginal_cdf.size(1) - 1;
    module.register_buffer("marginal_cdf", CpuCopy(p.marginal_cdf));
  }
  if (s.standardize) {
    module.register_buffer("mean", CpuCopy(p.mean));
    module.register_buffer("scale", CpuCopy(p.scale));
  }
  if (s.whiten) {
    module.register_buffer("white_mean", CpuCopy(p.white_mean));
    module.register_buffer("basis", CpuCopy(p.basis));
    module.register_buffer("eigenvalues", CpuCopy(p.eigenvalues));
    module.register_buffer("root", CpuCopy(p.eigenvalues.rsqrt()));
  }
  return script;
}

// ChunkRows() is log_prob's rows per pass for the widest block.
int64_t ChunkRows(const FlowModel& model) {
  int64_t widest = 1;
  for (int64_t k = 0; k < model.num_blocks(); ++k) {
    widest = std::max(widest, model.block(k).config().field.width());
  }
  return std::clamp(kJacobianElements / (widest * model.FlowDim()), int64_t{1},
                    kMaxChunkRows);
}

void RegisterLabels(const FlowModel& model, const ExportLabel& label,
                    torch::jit::Module& module) {
  module.register_attribute("dim", c10::IntType::get(), model.dim());
  module.register_attribute("flow_dim", c10::IntType::get(), model.FlowDim());
  module.register_attribute("integer", c10::BoolType::get(),
                            model.transform().Integer());
  const std::vector<int64_t>& shape = model.transform().item_shape();
  module.register_attribute("item_shape", c10::ListType::ofInts(),
                            c10::List<int64_t>(c10::ArrayRef<int64_t>(shape)));
  module.register_attribute("model_name", c10::StringType::get(), label.name);
  module.register_attribute("model_version", c10::IntType::get(),
                            label.version);
}

}  // namespace

absl::StatusOr<std::string> ExportTorchScript(const FlowModel& model,
                                              const ExportLabel& label) {
  return GuardTorch("export", [&]() -> absl::StatusOr<std::string> {
    torch::jit::Module module(
        c10::QualifiedName("__torch__.jkoflow.FlowModel"));
    // The device and dtype the methods run the blocks on; .to() moves it.
    module.register_buffer("anchor",
                           torch::zeros({0}, torch::dtype(model.dtype())));
    RegisterLabels(model, label, module);
    const ScriptTransform transform =
        RegisterTransform(model.transform(), module);
    for (int64_t k = 0; k < model.num_blocks(); ++k) {
      module.register_module(absl::StrCat("block", k),
                             BlockModule(model.block(k), k));
    }
    ScriptFlow flow;
    flow.dim = model.dim();
    flow.flow_dim = model.FlowDim();
    flow.blocks = model.num_blocks();
    flow.chunk_rows = ChunkRows(model);
    module.define(absl::StrCat(TransformScript(transform), FlowScript(flow)));
    std::ostringstream bytes;
    module.save(bytes);
    return bytes.str();
  });
}

}  // namespace jkoflow

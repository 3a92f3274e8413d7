#ifndef JKOFLOW_CORE_TORCHSCRIPT_EXPORT_H_
#define JKOFLOW_CORE_TORCHSCRIPT_EXPORT_H_

// A trained model as a self-contained TorchScript module (docs/design.md,
// "Export"), which PyTorch opens with torch.jit.load and LibTorch with
// torch::jit::load, without jkoflow.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace jkoflow {

class FlowModel;

// ExportLabel names the exported model; the module keeps both as
// attributes (model_name, model_version).
struct ExportLabel {
  std::string name;
  int64_t version = 0;
};

// ExportTorchScript() returns the bytes of a TorchScript archive of `model`:
// its weights and the data's transform as buffers (on the CPU, in the
// model's dtype; the transform's in float64) and the methods
//   forward(x [n, dim]) -> z          data to N(0, I) (integer data with the
//                                     dequantisation noise of seed 0)
//   log_prob(x, seed=0) -> [n]        float64, what LogProb() gives with the
//                                     exact divergence
//   inverse(z [n, dim]) -> x          N(0, I) to data
//   sample(n, seed=0) -> [n, dim]     inverse() of the module's own
//                                     Gaussian draws (not the server's)
// and the attributes dim, flow_dim, integer, item_shape, model_name and
// model_version. INTERNAL if LibTorch cannot build or save the module.
absl::StatusOr<std::string> ExportTorchScript(const FlowModel& model,
                                              const ExportLabel& label);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_TORCHSCRIPT_EXPORT_H_

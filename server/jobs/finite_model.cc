#include "server/jobs/finite_model.h"

#include <ATen/ATen.h>

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/torch_status.h"

namespace jkoflow {
namespace {

// NonFiniteStat() names the first non-finite statistic of `s`, or "".
std::string NonFiniteStat(const BlockStats& s) {
  for (const BlockStatField& field : kBlockStatFields) {
    const double value = s.*field.member;
    if (!std::isfinite(value)) return absl::StrCat(field.name, " = ", value);
  }
  return "";
}

}  // namespace

absl::Status CheckFiniteModel(const FlowModel& model) {
  for (int64_t k = 0; k < model.num_blocks(); ++k) {
    const std::string stat = NonFiniteStat(model.stats(k));
    if (!stat.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "block ", k + 1, " diverged (", stat,
          "): the model is not kept; check the data's scale and the step "
          "size"));
    }
    const absl::StatusOr<bool> finite =
        GuardTorch([&]() -> absl::StatusOr<bool> {
          for (const torch::Tensor& p : model.block(k).field()->parameters()) {
            if (!torch::isfinite(p).all().item<bool>()) return false;
          }
          return true;
        });
    if (!finite.ok()) return finite.status();
    if (!*finite) {
      return absl::FailedPreconditionError(
          absl::StrCat("block ", k + 1,
                       " diverged (a weight is not finite): the model is not "
                       "kept; check the data's scale and the step size"));
    }
  }
  return absl::OkStatus();
}

}  // namespace jkoflow

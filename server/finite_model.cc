#include "server/finite_model.h"

#include <ATen/ATen.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/torch_status.h"

namespace jkoflow {
namespace {

// NonFiniteStat() names the first non-finite statistic of `s`, or "".
std::string NonFiniteStat(const BlockStats& s) {
  const std::vector<std::pair<const char*, double>> values = {
      {"loss", s.loss},
      {"potential", s.potential},
      {"neg_divergence", s.neg_divergence},
      {"movement_term", s.movement_term},
      {"movement", s.movement},
      {"mean_displacement", s.mean_displacement},
      {"relative_movement", s.relative_movement},
      {"inversion_error", s.inversion_error}};
  for (const auto& [name, value] : values) {
    if (!std::isfinite(value)) return absl::StrCat(name, " = ", value);
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

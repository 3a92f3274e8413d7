#include "bench/bench_data.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "core/datasets.h"
#include "core/evaluation.h"
#include "core/torch_status.h"

namespace jkoflow {

absl::StatusOr<BenchData> GenerateBenchData(const std::string& dataset,
                                            int64_t train_points,
                                            int64_t test_points,
                                            uint64_t seed) {
  BenchData data;
  ASSIGN_OR_RETURN(data.train, GeneratePoints(dataset, train_points, seed));
  ASSIGN_OR_RETURN(data.test,
                   GeneratePoints(dataset, test_points, seed + 7919));
  if (absl::StartsWith(dataset, "gmm:")) {
    ASSIGN_OR_RETURN(GaussianMixture gmm, ParseGaussianMixtureSpec(dataset));
    ASSIGN_OR_RETURN(data.test_logp, gmm.LogProb(data.test));
  } else if (dataset == "8gaussians") {
    ASSIGN_OR_RETURN(data.test_logp,
                     GaussianMixture::EightGaussians().LogProb(data.test));
  } else if (dataset == "checkerboard") {
    data.test_logp = GuardTorch([&]() -> absl::StatusOr<torch::Tensor> {
                       return torch::full({data.test.size(0)}, -std::log(32.0),
                                          torch::kFloat64);
                     }).value();
  }
  return data;
}

std::string JsonNumberOrNull(const std::optional<double>& value) {
  return value.has_value() ? absl::StrFormat("%.6f", *value) : "null";
}

absl::StatusOr<Evaluation> EvaluateModel(const FlowModel& model,
                                         const BenchData& data, uint64_t seed,
                                         bool with_mmd,
                                         int64_t inversion_points) {
  Evaluation e;
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(torch::Tensor logp, model.LogProb(data.test));
  e.eval_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return GuardTorch([&]() -> absl::StatusOr<Evaluation> {
    logp = logp.to(torch::kCPU, torch::kFloat64);
    e.nll = -logp.mean().item<double>();
    if (model.transform().Integer()) {
      e.bits_per_dim = BitsPerDim(logp, model.dim());
    }
    if (data.test_logp.defined()) {
      e.kl = (data.test_logp - logp).mean().item<double>();
    }
    if (with_mmd) {
      ASSIGN_OR_RETURN(
          torch::Tensor samples,
          model.Sample(std::min<int64_t>(data.test.size(0), 5000), seed + 1));
      ASSIGN_OR_RETURN(e.mmd, GaussianMmd(samples.cpu(), data.test, seed));
    }
    const int64_t m = std::min<int64_t>(data.test.size(0), inversion_points);
    ASSIGN_OR_RETURN(auto flow_space,
                     model.ToFlowSpace(data.test.narrow(0, 0, m)));
    ASSIGN_OR_RETURN(FlowModel::InversionReport inversion,
                     model.InversionError(flow_space.first));
    e.inversion_error = inversion.end_to_end;
    return e;
  });
}

}  // namespace jkoflow

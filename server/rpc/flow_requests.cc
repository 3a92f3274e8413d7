#include "server/rpc/flow_requests.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "server/serving/model_registry.h"
#include "server/serving/request_budget.h"

namespace jkoflow {

absl::Status ValidateModelRef(const v1::ModelRef& ref) {
  RETURN_IF_ERROR(ValidateModelName(ref.name(), "model.name"));
  if (ref.version() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "model.version: must be ≥ 0 (0: newest), got ", ref.version()));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ValidateSampleRequest(const v1::SampleRequest& request,
                                              const ServingLimits& limits) {
  RETURN_IF_ERROR(ValidateModelRef(request.model()));
  if (request.n() < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("n: must be at least 1, got ", request.n()));
  }
  if (request.n() > limits.max_samples_per_request) {
    return absl::InvalidArgumentError(absl::StrCat(
        "n: ", request.n(), " exceeds the limit of ",
        limits.max_samples_per_request, " (--max_samples_per_request)"));
  }
  if (request.chunk_points() < 0 || request.chunk_points() > kMaxChunkPoints) {
    return absl::InvalidArgumentError(absl::StrCat(
        "chunk_points: must be in [1, ", kMaxChunkPoints,
        "] (0: ", kDefaultChunkPoints, "), got ", request.chunk_points()));
  }
  return request.chunk_points() == 0 ? kDefaultChunkPoints
                                     : request.chunk_points();
}

namespace {

RequestBudget BudgetOf(const ServingLimits& limits) {
  RequestBudget budget;
  budget.max_message_bytes = limits.max_message_bytes;
  budget.max_request_bytes = limits.max_request_bytes;
  budget.max_batch_points = limits.max_batch_points;
  return budget;
}

}  // namespace

absl::StatusOr<int64_t> PlanSample(const v1::SampleRequest& request,
                                   int64_t chunk_points, const FlowModel& model,
                                   const ServingLimits& limits) {
  const RequestBudget budget = BudgetOf(limits);
  ASSIGN_OR_RETURN(
      const int64_t fitted,
      FitSampleChunk(chunk_points, model, request.trajectory(), budget));
  RETURN_IF_ERROR(
      CheckRequestBytes(SampleRequestBytes(request.n(), fitted, model,
                                           request.trajectory(), budget),
                        "Sample", budget));
  return fitted;
}

absl::Status CheckLogLikelihoodBudget(const v1::LogLikelihoodRequest& request,
                                      int64_t probes, const FlowModel& model,
                                      const ServingLimits& limits) {
  const RequestBudget budget = BudgetOf(limits);
  const int64_t rows = std::clamp<int64_t>(request.points().rows(), 1,
                                           limits.max_samples_per_request);
  // The response carries one float64 per point (plus framing).
  const int64_t response_bytes = rows * 8 + 64;
  if (response_bytes > limits.max_message_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "points.rows: the response to ", rows, " points takes ", response_bytes,
        " bytes, more than the server's --max_message_bytes = ",
        limits.max_message_bytes));
  }
  const bool hutchinson = request.method() == v1::DIVERGENCE_METHOD_HUTCHINSON;
  return CheckRequestBytes(
      LogLikelihoodRequestBytes(rows, model, hutchinson, probes, budget),
      "LogLikelihood", budget);
}

absl::StatusOr<int64_t> ValidateLogLikelihoodRequest(
    const v1::LogLikelihoodRequest& request) {
  RETURN_IF_ERROR(ValidateModelRef(request.model()));
  if (!v1::DivergenceMethod_IsValid(request.method())) {
    return absl::InvalidArgumentError(
        absl::StrCat("method: unknown divergence method ", request.method()));
  }
  if (request.probes() < 0 || request.probes() > 1024) {
    return absl::InvalidArgumentError(absl::StrCat(
        "probes: must be in [1, 1024] (0: 1), got ", request.probes()));
  }
  if (!request.has_points()) {
    return absl::InvalidArgumentError("points: missing");
  }
  return request.probes() == 0 ? 1 : request.probes();
}

}  // namespace jkoflow

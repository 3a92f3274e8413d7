#include "server/flow_requests.h"

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "server/model_registry.h"

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

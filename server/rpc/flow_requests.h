#ifndef JKOFLOW_SERVER_RPC_FLOW_REQUESTS_H_
#define JKOFLOW_SERVER_RPC_FLOW_REQUESTS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/flow_model.h"
#include "jkoflow/v1/flow.pb.h"

namespace jkoflow {

// ServingLimits are the request limits of FlowService.
struct ServingLimits {
  int64_t max_samples_per_request = 1000000;
  int64_t max_batch_points = 65536;               // rows per batcher work item
  int64_t max_message_bytes = int64_t{64} << 20;  // largest gRPC message
  int64_t max_request_bytes = int64_t{1} << 30;   // memory per request
};

inline constexpr int64_t kDefaultChunkPoints = 65536;
inline constexpr int64_t kMaxChunkPoints = 1048576;

// ValidateModelRef() checks the name (see ValidateModelName) and
// version ≥ 0. INVALID_ARGUMENT naming "model.name" / "model.version".
absl::Status ValidateModelRef(const v1::ModelRef& ref);

// ValidateSampleRequest() checks the model reference, 1 ≤ n ≤
// max_samples_per_request and chunk_points in [0, 1,048,576]; returns the
// chunk size to use (0 → 65,536). INVALID_ARGUMENT naming field and limit.
absl::StatusOr<int64_t> ValidateSampleRequest(const v1::SampleRequest& request,
                                              const ServingLimits& limits);

// PlanSample() fits a validated request's chunk_points to the model:
// lowered so that a SampleChunk never exceeds --max_message_bytes (see
// FitSampleChunk), then the request's memory checked against
// --max_request_bytes. Returns the chunk size to stream; INVALID_ARGUMENT
// or RESOURCE_EXHAUSTED naming the flag.
absl::StatusOr<int64_t> PlanSample(const v1::SampleRequest& request,
                                   int64_t chunk_points, const FlowModel& model,
                                   const ServingLimits& limits);

// CheckLogLikelihoodBudget() checks the memory of a LogLikelihood of
// request.points().rows() points (clamped to [1, max_samples_per_request];
// DecodePoints() refuses rows outside it) against --max_request_bytes,
// before the points are decoded (RESOURCE_EXHAUSTED naming the flag), and
// that the response's one float64 per point fits --max_message_bytes
// (INVALID_ARGUMENT naming it).
absl::Status CheckLogLikelihoodBudget(const v1::LogLikelihoodRequest& request,
                                      int64_t probes, const FlowModel& model,
                                      const ServingLimits& limits);

// ValidateLogLikelihoodRequest() checks the model reference, the method and
// probes in [0, 1024] (0 → 1); the points are checked against the model by
// DecodePoints(). Returns the number of probes to use.
absl::StatusOr<int64_t> ValidateLogLikelihoodRequest(
    const v1::LogLikelihoodRequest& request);

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_RPC_FLOW_REQUESTS_H_

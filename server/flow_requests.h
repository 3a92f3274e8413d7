#ifndef JKOFLOW_SERVER_FLOW_REQUESTS_H_
#define JKOFLOW_SERVER_FLOW_REQUESTS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "jkoflow/v1/flow.pb.h"

namespace jkoflow {

// ServingLimits are the request limits of FlowService.
struct ServingLimits {
  int64_t max_samples_per_request = 1000000;
  int64_t max_batch_points = 65536;  // rows per batcher work item
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

// ValidateLogLikelihoodRequest() checks the model reference, the method and
// probes in [0, 1024] (0 → 1); the points are checked against the model by
// DecodePoints(). Returns the number of probes to use.
absl::StatusOr<int64_t> ValidateLogLikelihoodRequest(
    const v1::LogLikelihoodRequest& request);

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_FLOW_REQUESTS_H_

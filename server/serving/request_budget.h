#ifndef JKOFLOW_SERVER_SERVING_REQUEST_BUDGET_H_
#define JKOFLOW_SERVER_SERVING_REQUEST_BUDGET_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/flow_model.h"

namespace jkoflow {

// RequestBudget holds the byte limits one inference request is checked
// against before the server allocates anything for it.
struct RequestBudget {
  int64_t max_message_bytes = int64_t{64} << 20;  // --max_message_bytes
  int64_t max_request_bytes = int64_t{1} << 30;   // --max_request_bytes
  int64_t max_batch_points = 65536;               // rows per batcher item
};

// SampleChunkBytesPerPoint() is what one point adds to a SampleChunk:
// dim × 4 bytes for the sample, and with `trajectory` dim × 4 for each of
// the model's K + 1 stages.
int64_t SampleChunkBytesPerPoint(const FlowModel& model, bool trajectory);

// FitSampleChunk() lowers `chunk_points` to the most points whose chunk
// (with proto framing) fits in max_message_bytes, so a response message never
// exceeds --max_message_bytes. INVALID_ARGUMENT naming the flag when even
// one point does not fit.
absl::StatusOr<int64_t> FitSampleChunk(int64_t chunk_points,
                                       const FlowModel& model, bool trajectory,
                                       const RequestBudget& budget);

// SampleRequestBytes() estimates the peak memory of a Sample of n points in
// chunks of chunk_points: the request's whole noise [n, d], one batcher item
// of min(n, max_batch_points) rows through the RK4 stages (and its K + 1
// trajectory stages), the rows buffered for writing and one encoded chunk.
// A double, so that absurd requests cannot overflow it.
double SampleRequestBytes(int64_t n, int64_t chunk_points,
                          const FlowModel& model, bool trajectory,
                          const RequestBudget& budget);

// LogLikelihoodRequestBytes() estimates the peak memory of a LogLikelihood
// of n points: the decoded points, one batcher item of min(n,
// max_batch_points) rows carrying its divergence tangents (d of them when
// exact, `probes` for Hutchinson) through the RK4 stages and hidden layers,
// and the per-point response.
double LogLikelihoodRequestBytes(int64_t n, const FlowModel& model,
                                 bool hutchinson, int64_t probes,
                                 const RequestBudget& budget);

// CheckRequestBytes() is RESOURCE_EXHAUSTED naming --max_request_bytes,
// the request (`what`) and both numbers when `bytes` exceeds the budget.
absl::Status CheckRequestBytes(double bytes, const char* what,
                               const RequestBudget& budget);

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_SERVING_REQUEST_BUDGET_H_

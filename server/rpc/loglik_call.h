#ifndef JKOFLOW_SERVER_RPC_LOGLIK_CALL_H_
#define JKOFLOW_SERVER_RPC_LOGLIK_CALL_H_

#include <grpcpp/server_context.h>
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "jkoflow/v1/flow.pb.h"
#include "server/observability/metrics.h"
#include "server/rpc/flow_requests.h"
#include "server/serving/batcher.h"
#include "server/serving/model_registry.h"

namespace jkoflow {

// LogLikelihoodParams describe one validated log-likelihood request.
struct LogLikelihoodParams {
  std::string method = "LogLikelihood";  // the metrics' method label
  ModelVersion model;                    // loaded
  torch::Tensor points;                  // [n, dim] CPU float32, validated
  bool hutchinson = false;
  int64_t probes = 1;
  uint64_t seed = 0;
  int64_t max_batch_points = 65536;
};

// PrepareLogLikelihood() validates `request` (ValidateLogLikelihoodRequest,
// CheckLogLikelihoodBudget against `limits`), resolves its model in
// `registry` and decodes its points (errors name `points_field`: "points",
// or the input's name in another protocol). The method label is left at
// its default.
absl::StatusOr<LogLikelihoodParams> PrepareLogLikelihood(
    const v1::LogLikelihoodRequest& request, const ModelRegistry& registry,
    const ServingLimits& limits, absl::string_view points_field = "points");

// PrepareLogLikelihood() on a model version the caller resolved already.
absl::StatusOr<LogLikelihoodParams> PrepareLogLikelihood(
    const v1::LogLikelihoodRequest& request, ModelVersion model,
    const ServingLimits& limits, absl::string_view points_field);

// LogLikelihoodDone receives every point's log p(x) (all finite) once the
// last piece is computed, with each one's standard error for a Hutchinson
// request of at least two probes (empty otherwise), and fills in the
// caller's response.
using LogLikelihoodDone = std::function<absl::Status(
    absl::Span<const double> log_prob, absl::Span<const double> std_error)>;

// StartLogLikelihoodCall() runs the points through the batcher (a
// BatchedCall: pieces of at most max_batch_points rows; Hutchinson pieces
// with probes from seed + piece) and returns the call's reactor. A log p
// that is not finite in float32 ends the call with INVALID_ARGUMENT naming
// the row, so that a response never carries NaN.
grpc::ServerUnaryReactor* StartLogLikelihoodCall(
    grpc::CallbackServerContext* context, Batcher* batcher, Metrics* metrics,
    LogLikelihoodParams params, LogLikelihoodDone done);

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_RPC_LOGLIK_CALL_H_

#ifndef JKOFLOW_SERVER_LOGLIK_CALL_H_
#define JKOFLOW_SERVER_LOGLIK_CALL_H_

#include <grpcpp/server_context.h>
#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jkoflow/v1/flow.pb.h"
#include "server/batcher.h"
#include "server/metrics.h"
#include "server/model_registry.h"
#include "server/unary_call.h"

namespace jkoflow {

// LogLikelihoodCall runs one FlowService.LogLikelihood request: the points
// go through the batcher in work items of at most max_batch_points rows,
// one after the other, and the per-point log p(x) are gathered into the
// response. Exact items batch with other callers' items; Hutchinson items
// run alone with probes drawn from the request's seed (piece i uses seed
// + i), so a request is reproducible. Deletes itself after finishing.
class LogLikelihoodCall {
 public:
  struct Params {
    ModelVersion model;    // loaded
    torch::Tensor points;  // [n, dim] CPU float32, validated
    bool hutchinson = false;
    int64_t probes = 1;
    uint64_t seed = 0;
    int64_t max_batch_points = 65536;
  };

  // Start() submits the first work item and returns the call's reactor
  // for the handler to return; the call finishes on a batcher thread (or at
  // once when the queue is full).
  static grpc::ServerUnaryReactor* Start(grpc::CallbackServerContext* context,
                                         v1::LogLikelihoodResponse* response,
                                         Batcher* batcher, Metrics* metrics,
                                         Params params);

 private:
  LogLikelihoodCall(grpc::CallbackServerContext* context,
                    v1::LogLikelihoodResponse* response, Batcher* batcher,
                    Metrics* metrics, Params params);
  // SubmitNext() queues the piece at offset_; on failure finishes the call.
  void SubmitNext();
  void OnItemDone(absl::StatusOr<BatchOutput> output);
  // Finish() completes the RPC and deletes this.
  void Finish(const absl::Status& status);

  grpc::CallbackServerContext* const context_;
  v1::LogLikelihoodResponse* const response_;
  Batcher* const batcher_;
  UnaryCall call_;
  const Params params_;
  const absl::Time deadline_;
  int64_t offset_ = 0;  // rows submitted so far
  int64_t piece_ = 0;
  double sum_ = 0;
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_LOGLIK_CALL_H_

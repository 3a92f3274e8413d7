#ifndef JKOFLOW_SERVER_RPC_BATCHED_CALL_H_
#define JKOFLOW_SERVER_RPC_BATCHED_CALL_H_

#include <grpcpp/server_context.h>
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/observability/metrics.h"
#include "server/rpc/unary_call.h"
#include "server/serving/batcher.h"
#include "server/serving/model_registry.h"

namespace jkoflow {

// BatchedCall runs the rows of one unary request through the batcher in
// work items of at most max_batch_points rows, one after the other, and
// hands each item's output to `collect`; after the last, `complete` fills
// in the rest of the response and the RPC finishes OK. The first error (of
// the batcher, `collect` or `complete`) finishes it with that error. Exact
// likelihood and sampling items batch with other callers' items; Hutchinson
// items run alone with probes drawn from `seed` (piece i uses seed + i), so
// a request is reproducible. Deletes itself after finishing.
class BatchedCall {
 public:
  // Collect receives an item's output (on the CPU) for rows [first_row,
  // first_row + output.values.size(0)).
  using Collect =
      std::function<absl::Status(int64_t first_row, const BatchOutput& output)>;

  struct Params {
    std::string method;  // the metrics' method label
    ModelVersion model;  // loaded
    BatchKind kind = BatchKind::kLogLikelihood;
    // How many rows the request has, and rows_at(offset, count): rows
    // [offset, offset + count) as a CPU float32 tensor [count, dim] (data
    // points, or the noise to sample from). rows_at runs on a batcher
    // thread, for one piece at a time, in order.
    int64_t total_rows = 0;
    std::function<absl::StatusOr<torch::Tensor>(int64_t offset, int64_t count)>
        rows_at;
    int64_t probes = 1;  // Hutchinson only
    uint64_t seed = 0;   // Hutchinson only
    int64_t max_batch_points = 65536;
    Collect collect;
    std::function<absl::Status()> complete;  // may be null
  };

  // Start() submits the first work item and returns the call's reactor for
  // the handler to return; the call finishes on a batcher thread (or at
  // once when the queue is full).
  static grpc::ServerUnaryReactor* Start(grpc::CallbackServerContext* context,
                                         Batcher* batcher, Metrics* metrics,
                                         Params params);

 private:
  BatchedCall(grpc::CallbackServerContext* context, Batcher* batcher,
              Metrics* metrics, Params params);
  // SubmitNext() queues the piece at offset_; on failure finishes the call.
  void SubmitNext();
  void OnItemDone(absl::StatusOr<BatchOutput> output);
  // Finish() completes the RPC and deletes this.
  void Finish(const absl::Status& status);

  grpc::CallbackServerContext* const context_;
  Batcher* const batcher_;
  UnaryCall call_;
  const Params params_;
  const absl::Time deadline_;
  int64_t offset_ = 0;  // rows submitted so far
  int64_t piece_ = 0;
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_RPC_BATCHED_CALL_H_

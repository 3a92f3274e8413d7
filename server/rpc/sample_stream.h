#ifndef JKOFLOW_SERVER_RPC_SAMPLE_STREAM_H_
#define JKOFLOW_SERVER_RPC_SAMPLE_STREAM_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>
#include <torch/types.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "jkoflow/v1/flow.pb.h"
#include "server/observability/metrics.h"
#include "server/serving/batcher.h"
#include "server/serving/model_registry.h"

namespace jkoflow {

// SampleStream is the reactor of one FlowService.Sample call. It draws the
// request's noise from its seed (FlowModel::Noise(n, seed), on a batcher
// thread), sends it through the batcher in work items of at most
// max_batch_points rows — one at a time, so the next item is computed while
// the previous chunks are written — and streams the samples in chunks of
// chunk_points. The noise depends on the seed only, however the rows are
// batched; the samples are the same bytes for the same seed when each item
// runs alone and equal within float32 rounding when an item shares a batch
// with other requests (see batcher.h). Deadline and cancellation reach the
// batcher; an error ends the stream with that status. Deletes itself once gRPC
// is done with it and no work item refers to it.
class SampleStream final : public grpc::ServerWriteReactor<v1::SampleChunk> {
 public:
  struct Params {
    ModelVersion model;  // loaded
    int64_t n = 0;
    uint64_t seed = 0;
    int64_t chunk_points = 0;
    bool trajectory = false;
    int64_t max_batch_points = 65536;
  };

  // Start() creates the reactor and submits the first work item; a full
  // queue ends the call with RESOURCE_EXHAUSTED.
  static SampleStream* Start(grpc::CallbackServerContext* context,
                             Batcher* batcher, Metrics* metrics, Params params);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  SampleStream(grpc::CallbackServerContext* context, Batcher* batcher,
               Metrics* metrics, Params params);

  // Actions decided under the lock and carried out after releasing it.
  struct Actions {
    bool submit = false;
    int64_t submit_offset = 0;
    int64_t submit_rows = 0;
    bool write = false;  // chunk_ is ready to be written
    std::optional<absl::Status> finish;
  };
  // Pump() advances the stream: submit, write, or finish.
  void Pump();
  Actions NextActionsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<v1::SampleChunk> TakeChunkLocked(int64_t rows)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnItemDone(absl::StatusOr<BatchOutput> output);
  // NoiseRows() returns rows [offset, offset + rows) of the request's noise,
  // drawing all of it on first use (called by one batcher thread at a time).
  absl::StatusOr<torch::Tensor> NoiseRows(int64_t offset, int64_t rows);
  void Unref();

  grpc::CallbackServerContext* const context_;
  Batcher* const batcher_;
  const Params params_;
  RequestTimer timer_;
  absl::Time deadline_;
  std::atomic<bool> cancelled_{false};
  torch::Tensor noise_;  // only touched by the work item in flight

  absl::Mutex mu_;
  int refs_ ABSL_GUARDED_BY(mu_) = 1;  // gRPC's + one per item in flight
  int64_t submitted_rows_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t computed_rows_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t written_rows_ ABSL_GUARDED_BY(mu_) = 0;
  bool item_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  // Computed rows not yet written, oldest first; `used` rows of the front
  // piece have been written.
  std::deque<BatchOutput> pieces_ ABSL_GUARDED_BY(mu_);
  int64_t front_used_ ABSL_GUARDED_BY(mu_) = 0;
  // The chunk being written (gRPC reads it until OnWriteDone).
  v1::SampleChunk chunk_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_RPC_SAMPLE_STREAM_H_

#ifndef JKOFLOW_SERVER_SERVING_BATCHER_H_
#define JKOFLOW_SERVER_SERVING_BATCHER_H_

#include <torch/types.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/flow_model.h"
#include "server/observability/metrics.h"

namespace jkoflow {

// BatchKind is the computation a work item asks for. Items of the same
// model and kind are concatenated into one batch; Hutchinson items are never
// merged with others, because their probes are drawn per batch from the
// item's seed.
enum class BatchKind {
  kSample,            // noise → data (MapToData)
  kSampleTrajectory,  // the same, keeping the K + 1 stages
  kLogLikelihood,     // exact log p(x)
  kLogLikelihoodHutchinson,
};

// BatchOutput is one item's share of a batch, on the CPU.
struct BatchOutput {
  torch::Tensor values;  // [n, dim] samples or [n] log p(x)
  // kLogLikelihoodHutchinson with ≥ 2 probes: the standard error of each
  // log p(x) [n] (FlowModel::LogProbWithError()); undefined otherwise.
  torch::Tensor std_error;
  std::vector<torch::Tensor> stages;  // kSampleTrajectory: K + 1 × [n, dim]
};

// BatchItem is one unit of inference work: `points` rows of one model.
struct BatchItem {
  BatchKind kind = BatchKind::kSample;
  std::shared_ptr<const FlowModel> model;
  std::string model_name;  // for metrics
  int64_t points = 0;
  // input() returns the item's rows [points, dim] (noise for sampling, data
  // for likelihoods). It runs on a batcher thread when the batch is formed,
  // so expensive preparation (drawing noise) stays off gRPC threads.
  std::function<absl::StatusOr<torch::Tensor>()> input;
  int64_t probes = 1;       // Hutchinson only
  uint64_t probe_seed = 0;  // Hutchinson only
  absl::Time deadline = absl::InfiniteFuture();
  // cancelled() says whether the caller went away; thread-safe; may be null.
  std::function<bool()> cancelled;
  // done() receives the output or the error exactly once, on a batcher
  // thread. It may submit the caller's next item.
  std::function<void(absl::StatusOr<BatchOutput>)> done;
};

// Batcher runs inference for many callers on one device in dynamic batches:
// a worker takes the oldest waiting item, waits up to max_queue_delay for
// more items of the same model and kind (or until max_batch_points are
// waiting), concatenates them, runs the model once and splits the result.
// With Options::batching off every batch is one item, taken at once.
//
// Sample and exact log-likelihood items are concatenated into one tensor,
// run through the model once and split back; trajectory items are batched
// but evaluated one after the other, each with its own rows. Each sample
// item still draws its noise from its own request's seed, so batching
// changes the rounding of a request's samples, never their noise: BLAS picks
// its kernels by matrix shape, so a row's float32 result depends on how many
// rows share the product (with Debian's OpenBLAS, the rows of a 5-row
// sample computed inside a 12-row product differ from the same rows alone
// in the last bits). The contract:
//   - a request evaluated alone (sequential calls, a quiet server, or
//     Options::batching off) gives the same bytes for the same seed, equal
//     to FlowModel::Sample() when the request fits in one item;
//   - a request that shares a batch with others gives the same samples
//     within float32 rounding: the largest difference from the same seed
//     alone was 1.2e-7 in batcher_test and 4.8e-7 over 48 requests of 100
//     points in integration/batching_test; the tests allow 1e-5.
//
// Deadlines and cancellation are checked between RK4 steps: an item whose
// deadline passes or whose caller cancels gets DEADLINE_EXCEEDED or
// CANCELLED at once while the rest of the batch continues; a batch whose
// items are all gone stops early.
//
// Thread-safe. The Batcher owns its worker threads; Stop() (or the
// destructor) fails waiting items with UNAVAILABLE and joins them.
class Batcher {
 public:
  struct Options {
    int64_t max_batch_points = 65536;
    absl::Duration max_queue_delay = absl::Microseconds(2000);
    int64_t max_queue = 256;  // waiting items before RESOURCE_EXHAUSTED
    int num_threads = 1;
    // batching = false runs every item alone as soon as a worker is free:
    // one item per batch, no max_queue_delay wait (for measuring what
    // batching buys, and for bit-identical samples under load).
    bool batching = true;
    Metrics* metrics = nullptr;  // not owned; may be null
  };

  // Create() validates the options (all positive) and starts the workers.
  static absl::StatusOr<std::unique_ptr<Batcher>> Create(
      const Options& options);
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Submit() queues `item`. RESOURCE_EXHAUSTED when max_queue items are
  // already waiting (a `continuation` — the next part of a request already
  // admitted — is never refused for that), UNAVAILABLE after Stop(),
  // INVALID_ARGUMENT for an item without model, input or done. On error
  // `done` is not called.
  absl::Status Submit(BatchItem item, bool continuation = false);

  // Stop() refuses new items, fails the waiting ones with UNAVAILABLE and
  // waits for running batches. Idempotent.
  void Stop();

  // queue_depth() is the number of waiting items.
  int64_t queue_depth() const;

  // Slot is one item while its batch runs.
  struct Slot {
    BatchItem* item;
    int64_t offset;  // first row of the item in the batch
    bool finished = false;
  };

 private:
  struct Queued {
    BatchItem item;
    // Items with the same model, kind and `unique` may share a batch;
    // `unique` is 0 except for items that must run alone.
    uint64_t unique = 0;
    absl::Time enqueued;
  };

  explicit Batcher(const Options& options) : options_(options) {}
  void WorkerLoop();
  // NextBatch() blocks until a batch is due and removes it from the queue;
  // empty when stopping.
  std::vector<BatchItem> NextBatch();
  void RunBatch(std::vector<BatchItem> batch);
  // ConcatenatesRows() says whether items of `kind` share one model call.
  static bool ConcatenatesRows(BatchKind kind);
  void RunConcatenated(std::vector<Slot>& slots,
                       std::vector<torch::Tensor> inputs);
  void RunOneByOne(std::vector<Slot>& slots, std::vector<torch::Tensor> inputs);
  // Deliver() moves an item's result to the CPU, counts it and calls done.
  void Deliver(Slot& slot, absl::StatusOr<BatchOutput> result);
  void UpdateDepthGauge() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  mutable absl::Mutex mu_;
  absl::CondVar wake_;
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_unique_key_ ABSL_GUARDED_BY(mu_) = 1;
  std::vector<std::thread> workers_;
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_SERVING_BATCHER_H_

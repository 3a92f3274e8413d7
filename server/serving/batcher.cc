#include "server/serving/batcher.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "core/torch_status.h"

namespace jkoflow {
namespace {

bool SameBatch(const BatchItem& a, uint64_t a_unique, const BatchItem& b,
               uint64_t b_unique) {
  return a.model == b.model && a.kind == b.kind && a_unique == b_unique;
}

// FinishIfGone() ends an item whose deadline passed or whose caller left;
// returns whether the item is finished.
bool FinishIfGone(Batcher::Slot& slot, absl::Time now) {
  if (slot.finished) return true;
  if (now >= slot.item->deadline) {
    slot.finished = true;
    slot.item->done(absl::DeadlineExceededError(
        "deadline exceeded while the request was being computed"));
  } else if (slot.item->cancelled && slot.item->cancelled()) {
    slot.finished = true;
    slot.item->done(absl::CancelledError("the request was cancelled"));
  }
  return slot.finished;
}

// Compute() runs one batch's computation on the concatenated rows x.
absl::StatusOr<BatchOutput> Compute(const BatchItem& first,
                                    const torch::Tensor& x,
                                    const StopCheck& stop) {
  const FlowModel& model = *first.model;
  BatchOutput out;
  switch (first.kind) {
    case BatchKind::kSample: {
      ASSIGN_OR_RETURN(out.values, model.MapToData(x, stop));
      return out;
    }
    case BatchKind::kSampleTrajectory: {
      ASSIGN_OR_RETURN(out.stages, model.MapToDataStages(x, stop));
      out.values = out.stages.back();
      return out;
    }
    case BatchKind::kLogLikelihood: {
      DivergenceOptions exact;
      exact.method = DivergenceMethod::kExact;
      ASSIGN_OR_RETURN(out.values, model.LogProb(x, exact, 0, stop));
      return out;
    }
    case BatchKind::kLogLikelihoodHutchinson: {
      DivergenceOptions hutchinson;
      hutchinson.method = DivergenceMethod::kHutchinson;
      hutchinson.probes = first.probes;
      ASSIGN_OR_RETURN(
          FlowModel::LogProbEstimate estimate,
          model.LogProbWithError(x, hutchinson, first.probe_seed, stop));
      out.values = estimate.log_prob;
      out.std_error = estimate.std_error;
      return out;
    }
  }
  return absl::InternalError("unknown batch kind");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Batcher>> Batcher::Create(
    const Options& options) {
  if (options.max_batch_points < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max_batch_points: must be ≥ 1, got ", options.max_batch_points));
  }
  if (options.max_queue < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_queue: must be ≥ 1, got ", options.max_queue));
  }
  if (options.max_queue_delay < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--max_queue_delay_us: must be ≥ 0");
  }
  if (options.num_threads < 1) {
    return absl::InvalidArgumentError("batcher threads: must be ≥ 1");
  }
  std::unique_ptr<Batcher> batcher(new Batcher(options));
  for (int i = 0; i < options.num_threads; ++i) {
    batcher->workers_.emplace_back([b = batcher.get()] { b->WorkerLoop(); });
  }
  return batcher;
}

Batcher::~Batcher() { Stop(); }

absl::Status Batcher::Submit(BatchItem item, bool continuation) {
  if (item.model == nullptr || !item.input || !item.done || item.points < 1) {
    return absl::InvalidArgumentError(
        "batch item: needs a model, an input, a callback and points ≥ 1");
  }
  absl::MutexLock lock(&mu_);
  if (stopping_) {
    return absl::UnavailableError("the server is shutting down");
  }
  if (!continuation &&
      static_cast<int64_t>(queue_.size()) >= options_.max_queue) {
    return absl::ResourceExhaustedError(
        absl::StrCat("inference queue full: ", queue_.size(),
                     " requests waiting (--max_queue=", options_.max_queue,
                     "); retry later"));
  }
  Queued queued;
  queued.unique =
      item.kind == BatchKind::kLogLikelihoodHutchinson ? next_unique_key_++ : 0;
  queued.item = std::move(item);
  queued.enqueued = absl::Now();
  queue_.push_back(std::move(queued));
  UpdateDepthGauge();
  wake_.SignalAll();
  return absl::OkStatus();
}

void Batcher::Stop() {
  std::deque<Queued> abandoned;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    abandoned.swap(queue_);
    UpdateDepthGauge();
    wake_.SignalAll();
  }
  for (Queued& q : abandoned) {
    q.item.done(absl::UnavailableError("the server is shutting down"));
  }
  for (std::thread& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
}

int64_t Batcher::queue_depth() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(queue_.size());
}

void Batcher::UpdateDepthGauge() {
  if (options_.metrics != nullptr) {
    options_.metrics->SetQueueDepth(static_cast<int64_t>(queue_.size()));
  }
}

std::vector<BatchItem> Batcher::NextBatch() {
  absl::MutexLock lock(&mu_);
  while (true) {
    while (!stopping_ && queue_.empty()) wake_.Wait(&mu_);
    if (stopping_) return {};
    const Queued& front = queue_.front();
    int64_t waiting = 0;
    for (const Queued& q : queue_) {
      if (SameBatch(q.item, q.unique, front.item, front.unique)) {
        waiting += q.item.points;
      }
    }
    const absl::Time due = front.enqueued + options_.max_queue_delay;
    if (!options_.batching || waiting >= options_.max_batch_points ||
        front.unique != 0 || absl::Now() >= due) {
      break;
    }
    wake_.WaitWithDeadline(&mu_, due);
  }
  // Take the front item and, when batching, every compatible one that still
  // fits, in order.
  std::vector<BatchItem> batch;
  const BatchItem& first = queue_.front().item;
  const uint64_t first_unique = queue_.front().unique;
  const std::shared_ptr<const FlowModel> model = first.model;
  const BatchKind kind = first.kind;
  int64_t points = 0;
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (!options_.batching && !batch.empty()) break;
    const bool compatible = it->item.model == model && it->item.kind == kind &&
                            it->unique == first_unique;
    if (compatible && (batch.empty() ||
                       points + it->item.points <= options_.max_batch_points)) {
      points += it->item.points;
      batch.push_back(std::move(it->item));
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
  UpdateDepthGauge();
  return batch;
}

void Batcher::WorkerLoop() {
  while (true) {
    std::vector<BatchItem> batch = NextBatch();
    if (batch.empty()) return;
    RunBatch(std::move(batch));
  }
}

void Batcher::RunBatch(std::vector<BatchItem> batch) {
  // Drop the items that are already gone, then gather the inputs.
  std::vector<Slot> slots;
  std::vector<torch::Tensor> inputs;
  int64_t rows = 0;
  const absl::Time now = absl::Now();
  for (BatchItem& item : batch) {
    Slot slot{&item, rows};
    if (FinishIfGone(slot, now)) continue;
    absl::StatusOr<torch::Tensor> input = item.input();
    if (input.ok() && (input->dim() != 2 || input->size(0) != item.points)) {
      input = absl::InternalError("batch item: input rows do not match");
    }
    if (!input.ok()) {
      item.done(input.status());
      continue;
    }
    inputs.push_back(*std::move(input));
    rows += item.points;
    slots.push_back(slot);
  }
  if (slots.empty()) return;
  if (options_.metrics != nullptr) {
    options_.metrics->ObserveBatch(static_cast<int64_t>(slots.size()), rows);
  }
  if (ConcatenatesRows(slots.front().item->kind)) {
    RunConcatenated(slots, std::move(inputs));
  } else {
    RunOneByOne(slots, std::move(inputs));
  }
}

bool Batcher::ConcatenatesRows(BatchKind kind) {
  return kind == BatchKind::kSample || kind == BatchKind::kLogLikelihood;
}

void Batcher::RunConcatenated(std::vector<Slot>& slots,
                              std::vector<torch::Tensor> inputs) {
  StopCheck stop = [&slots]() -> absl::Status {
    const absl::Time now = absl::Now();
    bool all_gone = true;
    for (Slot& slot : slots) all_gone &= FinishIfGone(slot, now);
    if (all_gone) {
      return absl::CancelledError(
          "every request of the batch expired or was cancelled");
    }
    return absl::OkStatus();
  };
  absl::StatusOr<BatchOutput> result =
      GuardTorch([&]() -> absl::StatusOr<BatchOutput> {
        const torch::Tensor x =
            inputs.size() == 1 ? inputs.front() : torch::cat(inputs, 0);
        inputs.clear();
        return Compute(*slots.front().item, x, stop);
      });
  const absl::Time end = absl::Now();
  for (Slot& slot : slots) {
    if (FinishIfGone(slot, end)) continue;
    if (!result.ok()) {
      Deliver(slot, result.status());
      continue;
    }
    Deliver(slot, GuardTorch([&]() -> absl::StatusOr<BatchOutput> {
              BatchOutput out;
              out.values =
                  result->values.narrow(0, slot.offset, slot.item->points);
              if (result->std_error.defined()) {
                out.std_error =
                    result->std_error.narrow(0, slot.offset, slot.item->points);
              }
              for (const torch::Tensor& stage : result->stages) {
                out.stages.push_back(
                    stage.narrow(0, slot.offset, slot.item->points));
              }
              return out;
            }));
  }
}

void Batcher::RunOneByOne(std::vector<Slot>& slots,
                          std::vector<torch::Tensor> inputs) {
  for (size_t i = 0; i < slots.size(); ++i) {
    Slot& slot = slots[i];
    if (FinishIfGone(slot, absl::Now())) continue;
    // Between RK4 steps: end any item that went away; stop this one's
    // solve as soon as it is among them.
    StopCheck stop = [&slots, &slot]() -> absl::Status {
      const absl::Time now = absl::Now();
      for (Slot& other : slots) FinishIfGone(other, now);
      if (slot.finished) {
        return absl::CancelledError("the request expired or was cancelled");
      }
      return absl::OkStatus();
    };
    absl::StatusOr<BatchOutput> result = Compute(*slot.item, inputs[i], stop);
    inputs[i] = torch::Tensor();
    if (FinishIfGone(slot, absl::Now())) continue;
    Deliver(slot, std::move(result));
  }
}

void Batcher::Deliver(Slot& slot, absl::StatusOr<BatchOutput> result) {
  slot.finished = true;
  BatchItem& item = *slot.item;
  if (result.ok()) {
    result = GuardTorch([&]() -> absl::StatusOr<BatchOutput> {
      BatchOutput out;
      out.values = result->values.to(torch::kCPU).contiguous();
      if (result->std_error.defined()) {
        out.std_error = result->std_error.to(torch::kCPU).contiguous();
      }
      for (const torch::Tensor& stage : result->stages) {
        out.stages.push_back(stage.to(torch::kCPU).contiguous());
      }
      return out;
    });
  }
  if (result.ok() && options_.metrics != nullptr) {
    if (item.kind == BatchKind::kSample ||
        item.kind == BatchKind::kSampleTrajectory) {
      options_.metrics->AddSamples(item.model_name, item.points);
    } else {
      options_.metrics->AddLogLikPoints(item.model_name, item.points);
    }
  }
  item.done(std::move(result));
}

}  // namespace jkoflow

#include "server/rpc/batched_call.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <utility>

#include "core/torch_status.h"

namespace jkoflow {

BatchedCall::BatchedCall(grpc::CallbackServerContext* context, Batcher* batcher,
                         Metrics* metrics, Params params)
    : context_(context),
      batcher_(batcher),
      call_(context, metrics, params.method),
      params_(std::move(params)),
      deadline_(CallDeadline(context)) {}

grpc::ServerUnaryReactor* BatchedCall::Start(
    grpc::CallbackServerContext* context, Batcher* batcher, Metrics* metrics,
    Params params) {
  auto* call = new BatchedCall(context, batcher, metrics, std::move(params));
  grpc::ServerUnaryReactor* reactor = call->call_.reactor();
  call->SubmitNext();  // may finish and delete the call
  return reactor;
}

void BatchedCall::SubmitNext() {
  const int64_t n = params_.total_rows;
  const int64_t rows = std::min(n - offset_, params_.max_batch_points);
  BatchItem item;
  item.kind = params_.kind;
  item.model = params_.model.model;
  item.model_name = params_.model.name;
  item.points = rows;
  item.input = [this, offset = offset_,
                rows]() -> absl::StatusOr<torch::Tensor> {
    return GuardTorch([&] { return params_.rows_at(offset, rows); });
  };
  item.probes = params_.probes;
  item.probe_seed = params_.seed + static_cast<uint64_t>(piece_);
  item.deadline = deadline_;
  item.cancelled = [context = context_] { return context->IsCancelled(); };
  item.done = [this](absl::StatusOr<BatchOutput> output) {
    OnItemDone(std::move(output));
  };
  const bool continuation = offset_ > 0;
  offset_ += rows;
  ++piece_;
  absl::Status submitted = batcher_->Submit(std::move(item), continuation);
  if (!submitted.ok()) Finish(submitted);
}

void BatchedCall::OnItemDone(absl::StatusOr<BatchOutput> output) {
  if (!output.ok()) {
    Finish(output.status());
    return;
  }
  const int64_t first_row = offset_ - output->values.size(0);
  absl::Status collected = GuardTorch(
      [&]() -> absl::Status { return params_.collect(first_row, *output); });
  if (!collected.ok()) {
    Finish(collected);
    return;
  }
  if (offset_ < params_.total_rows) {
    SubmitNext();
    return;
  }
  Finish(params_.complete ? GuardTorch(params_.complete) : absl::OkStatus());
}

void BatchedCall::Finish(const absl::Status& status) {
  call_.Finish(status);
  delete this;
}

}  // namespace jkoflow

#include "server/rpc/sample_stream.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/torch_status.h"
#include "server/rpc/points_codec.h"
#include "server/rpc/status_map.h"
#include "server/rpc/unary_call.h"

namespace jkoflow {

SampleStream::SampleStream(grpc::CallbackServerContext* context,
                           Batcher* batcher, Metrics* metrics, Params params)
    : context_(context),
      batcher_(batcher),
      params_(std::move(params)),
      timer_(metrics, "Sample"),
      deadline_(CallDeadline(context)) {}

SampleStream* SampleStream::Start(grpc::CallbackServerContext* context,
                                  Batcher* batcher, Metrics* metrics,
                                  Params params) {
  auto* stream = new SampleStream(context, batcher, metrics, std::move(params));
  stream->Pump();
  return stream;
}

absl::StatusOr<torch::Tensor> SampleStream::NoiseRows(int64_t offset,
                                                      int64_t rows) {
  if (!noise_.defined()) {
    absl::StatusOr<torch::Tensor> noise =
        params_.model.model->Noise(params_.n, params_.seed);
    if (!noise.ok()) return noise.status();
    noise_ = *std::move(noise);
  }
  torch::Tensor slice = noise_.narrow(0, offset, rows);
  if (offset + rows == params_.n) noise_ = torch::Tensor();
  return slice;
}

SampleStream::Actions SampleStream::NextActionsLocked() {
  Actions actions;
  if (finished_) return actions;
  if (!error_.ok()) {
    if (!write_in_flight_) {
      finished_ = true;
      actions.finish = error_;
    }
    return actions;
  }
  const int64_t buffered = computed_rows_ - written_rows_;
  const int64_t bound =
      std::max(params_.chunk_points, params_.max_batch_points);
  if (!item_in_flight_ && submitted_rows_ < params_.n && buffered < bound) {
    actions.submit = true;
    actions.submit_offset = submitted_rows_;
    actions.submit_rows =
        std::min(params_.n - submitted_rows_, params_.max_batch_points);
    submitted_rows_ += actions.submit_rows;
    item_in_flight_ = true;
    ++refs_;
  }
  if (!write_in_flight_ && buffered > 0 &&
      (buffered >= params_.chunk_points || computed_rows_ == params_.n)) {
    const int64_t rows = std::min(buffered, params_.chunk_points);
    absl::StatusOr<v1::SampleChunk> chunk = TakeChunkLocked(rows);
    if (!chunk.ok()) {
      error_ = chunk.status();
      finished_ = true;
      actions.finish = error_;
      return actions;
    }
    chunk_ = *std::move(chunk);
    written_rows_ += rows;
    write_in_flight_ = true;
    actions.write = true;
    return actions;
  }
  if (!write_in_flight_ && written_rows_ == params_.n) {
    finished_ = true;
    actions.finish = absl::OkStatus();
  }
  return actions;
}

absl::StatusOr<v1::SampleChunk> SampleStream::TakeChunkLocked(int64_t rows) {
  return GuardTorch([&]() -> absl::StatusOr<v1::SampleChunk> {
    std::vector<torch::Tensor> values;
    std::vector<std::vector<torch::Tensor>> stages;
    int64_t need = rows;
    while (need > 0) {
      const BatchOutput& piece = pieces_.front();
      const int64_t take = std::min(piece.values.size(0) - front_used_, need);
      values.push_back(piece.values.narrow(0, front_used_, take));
      stages.resize(piece.stages.size());
      for (size_t s = 0; s < piece.stages.size(); ++s) {
        stages[s].push_back(piece.stages[s].narrow(0, front_used_, take));
      }
      front_used_ += take;
      need -= take;
      if (front_used_ == piece.values.size(0)) {
        pieces_.pop_front();
        front_used_ = 0;
      }
    }
    v1::SampleChunk chunk;
    chunk.set_offset(written_rows_);
    absl::Status status =
        EncodePoints(torch::cat(values, 0), chunk.mutable_points());
    if (!status.ok()) return status;
    for (const std::vector<torch::Tensor>& stage : stages) {
      status = EncodePoints(torch::cat(stage, 0), chunk.add_stages());
      if (!status.ok()) return status;
    }
    return chunk;
  });
}

void SampleStream::Pump() {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    actions = NextActionsLocked();
  }
  if (actions.submit) {
    BatchItem item;
    item.kind =
        params_.trajectory ? BatchKind::kSampleTrajectory : BatchKind::kSample;
    item.model = params_.model.model;
    item.model_name = params_.model.name;
    item.points = actions.submit_rows;
    item.input = [this, offset = actions.submit_offset,
                  rows = actions.submit_rows] {
      return NoiseRows(offset, rows);
    };
    item.deadline = deadline_;
    item.cancelled = [this] { return cancelled_.load(); };
    item.done = [this](absl::StatusOr<BatchOutput> output) {
      OnItemDone(std::move(output));
    };
    absl::Status submitted = batcher_->Submit(
        std::move(item), /*continuation=*/actions.submit_offset > 0);
    if (!submitted.ok()) {
      {
        absl::MutexLock lock(&mu_);
        item_in_flight_ = false;
        --refs_;  // gRPC's reference keeps the stream alive
        if (error_.ok()) error_ = submitted;
      }
      Pump();
      return;
    }
  }
  if (actions.write) {
    StartWrite(&chunk_);
  } else if (actions.finish.has_value()) {
    const grpc::Status status = ToGrpcStatus(*actions.finish);
    timer_.Finish(status.error_code());
    Finish(status);
  }
}

void SampleStream::OnItemDone(absl::StatusOr<BatchOutput> output) {
  {
    absl::MutexLock lock(&mu_);
    item_in_flight_ = false;
    if (!output.ok()) {
      if (error_.ok()) error_ = output.status();
    } else {
      computed_rows_ += output->values.size(0);
      pieces_.push_back(*std::move(output));
    }
  }
  Pump();
  Unref();
}

void SampleStream::OnWriteDone(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    write_in_flight_ = false;
    if (!ok && error_.ok()) {
      error_ = absl::CancelledError("the client stopped reading the stream");
    }
  }
  Pump();
}

void SampleStream::OnCancel() {
  cancelled_ = true;
  {
    absl::MutexLock lock(&mu_);
    if (error_.ok()) error_ = absl::CancelledError("the call was cancelled");
  }
  Pump();
}

void SampleStream::OnDone() { Unref(); }

void SampleStream::Unref() {
  bool last;
  {
    absl::MutexLock lock(&mu_);
    last = --refs_ == 0;
  }
  if (last) delete this;
}

}  // namespace jkoflow

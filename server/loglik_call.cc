#include "server/loglik_call.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/torch_status.h"

namespace jkoflow {

LogLikelihoodCall::LogLikelihoodCall(grpc::CallbackServerContext* context,
                                     v1::LogLikelihoodResponse* response,
                                     Batcher* batcher, Metrics* metrics,
                                     Params params)
    : context_(context),
      response_(response),
      batcher_(batcher),
      call_(context, metrics, "LogLikelihood"),
      params_(std::move(params)),
      deadline_(CallDeadline(context)) {}

grpc::ServerUnaryReactor* LogLikelihoodCall::Start(
    grpc::CallbackServerContext* context, v1::LogLikelihoodResponse* response,
    Batcher* batcher, Metrics* metrics, Params params) {
  auto* call = new LogLikelihoodCall(context, response, batcher, metrics,
                                     std::move(params));
  call->response_->mutable_log_prob()->Reserve(
      static_cast<int>(call->params_.points.size(0)));
  grpc::ServerUnaryReactor* reactor = call->call_.reactor();
  call->SubmitNext();  // may finish and delete the call
  return reactor;
}

void LogLikelihoodCall::SubmitNext() {
  const int64_t n = params_.points.size(0);
  const int64_t rows = std::min(n - offset_, params_.max_batch_points);
  BatchItem item;
  item.kind = params_.hutchinson ? BatchKind::kLogLikelihoodHutchinson
                                 : BatchKind::kLogLikelihood;
  item.model = params_.model.model;
  item.model_name = params_.model.name;
  item.points = rows;
  item.input = [this, offset = offset_,
                rows]() -> absl::StatusOr<torch::Tensor> {
    return GuardTorch([&]() -> absl::StatusOr<torch::Tensor> {
      return params_.points.narrow(0, offset, rows);
    });
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

void LogLikelihoodCall::OnItemDone(absl::StatusOr<BatchOutput> output) {
  if (!output.ok()) {
    Finish(output.status());
    return;
  }
  absl::Status copied = GuardTorch([&]() -> absl::Status {
    const torch::Tensor values =
        output->values.to(torch::kFloat64).contiguous();
    const double* data = values.data_ptr<double>();
    const int64_t first_row = offset_ - values.numel();
    for (int64_t i = 0; i < values.numel(); ++i) {
      // Points within kMaxSquaredNorm keep log p finite for sane models;
      // this catches the rest, so that a response never carries NaN.
      if (!std::isfinite(data[i])) {
        return absl::InvalidArgumentError(absl::StrCat(
            "points.data: log p of row ", first_row + i,
            " is not finite in float32 (the point is too far out for this "
            "model)"));
      }
    }
    for (int64_t i = 0; i < values.numel(); ++i) {
      response_->add_log_prob(data[i]);
      sum_ += data[i];
    }
    return absl::OkStatus();
  });
  if (!copied.ok()) {
    Finish(copied);
    return;
  }
  if (offset_ < params_.points.size(0)) {
    SubmitNext();
    return;
  }
  response_->set_mean_log_prob(sum_ / static_cast<double>(offset_));
  response_->set_dim(params_.model.model->dim());
  response_->set_model_version(params_.model.version);
  Finish(absl::OkStatus());
}

void LogLikelihoodCall::Finish(const absl::Status& status) {
  call_.Finish(status);
  delete this;
}

}  // namespace jkoflow

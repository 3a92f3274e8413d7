#include "server/upload_job_reactor.h"

#include <ATen/ATen.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "core/torch_status.h"
#include "server/points_codec.h"
#include "server/status_map.h"
#include "server/training_data.h"

namespace jkoflow {

UploadJobReactor::UploadJobReactor(JobManager* manager, Executor* executor,
                                   Metrics* metrics, v1::Job* response)
    : manager_(manager),
      executor_(executor),
      response_(response),
      timer_(metrics, "UploadTrainingJob") {
  StartRead(&chunk_);
}

absl::Status UploadJobReactor::Accept() {
  if (!has_job_) {
    if (!chunk_.has_job()) {
      return absl::InvalidArgumentError(
          "job: the first message of an upload must carry the job");
    }
    // Refuse before receiving the points when no job could be queued.
    RETURN_IF_ERROR(manager_->CheckQueueRoom());
    RETURN_IF_ERROR(manager_->AcquireUpload());
    holds_upload_ = true;
    job_ = chunk_.job();
    has_job_ = true;
  } else if (chunk_.has_job()) {
    return absl::InvalidArgumentError(
        "job: only the first message of an upload may carry the job");
  }
  const v1::Points& points = chunk_.points();
  if (!chunk_.has_points() ||
      (points.rows() == 0 && points.cols() == 0 && points.data().empty())) {
    return absl::OkStatus();  // no points in this message
  }
  PointsLimits limits;
  limits.cols = cols_ > 0 ? cols_ : -1;
  const int64_t max_values = kMaxTrainingValues;
  limits.max_rows = (max_values / std::max<int64_t>(1, points.cols())) - rows_;
  limits.max_rows_name =
      absl::StrCat(max_values, " values per upload in total");
  RETURN_IF_ERROR(ValidatePointsMessage(points, "points", limits));
  cols_ = points.cols();
  rows_ += points.rows();
  AppendPointsData(points, &values_);
  return absl::OkStatus();
}

void UploadJobReactor::OnReadDone(bool ok) {
  if (ok) {
    absl::Status accepted = Accept();
    if (!accepted.ok()) {
      FinishWith(accepted);
      return;
    }
    StartRead(&chunk_);
    return;
  }
  // The client closed its side (or went away): create the job.
  if (!has_job_) {
    FinishWith(absl::InvalidArgumentError(
        "job: the upload carried no job description"));
    return;
  }
  if (rows_ == 0) {
    FinishWith(absl::InvalidArgumentError("points: the upload had no points"));
    return;
  }
  executor_->Schedule([this] {
    if (cancelled_) {
      FinishWith(absl::CancelledError("the upload was cancelled"));
      return;
    }
    absl::StatusOr<v1::Job> job = GuardTorch([&]() -> absl::StatusOr<v1::Job> {
      torch::Tensor data = torch::empty({rows_, cols_}, torch::kFloat32);
      std::memcpy(data.data_ptr<float>(), values_.data(),
                  values_.size() * sizeof(float));
      values_ = std::vector<float>();
      return manager_->CreateUploadedJob(job_, data);
    });
    if (job.ok()) *response_ = *job;
    FinishWith(job.status());
  });
}

void UploadJobReactor::OnDone() {
  if (holds_upload_) manager_->ReleaseUpload();
  delete this;
}

void UploadJobReactor::FinishWith(const absl::Status& status) {
  const grpc::Status grpc_status = ToGrpcStatus(status);
  timer_.Finish(grpc_status.error_code());
  Finish(grpc_status);
}

}  // namespace jkoflow

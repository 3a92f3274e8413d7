#include "server/rpc/upload_job_reactor.h"

#include <ATen/ATen.h>

#include <chrono>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "core/torch_status.h"
#include "server/jobs/training_data.h"
#include "server/rpc/job_messages.h"
#include "server/rpc/points_codec.h"
#include "server/rpc/status_map.h"

namespace jkoflow {

UploadJobReactor::UploadJobReactor(JobManager* manager, Executor* executor,
                                   Metrics* metrics,
                                   grpc::CallbackServerContext* context,
                                   std::optional<Caller> caller,
                                   absl::Duration idle_timeout,
                                   v1::Job* response)
    : manager_(manager),
      executor_(executor),
      context_(context),
      caller_(std::move(caller)),
      idle_timeout_(idle_timeout),
      response_(response),
      timer_(metrics, "UploadTrainingJob") {
  StartRead(&chunk_);
  if (idle_timeout_ <= absl::ZeroDuration() ||
      idle_timeout_ == absl::InfiniteDuration()) {
    return;
  }
  grpc::Alarm* alarm;
  {
    absl::MutexLock lock(&mu_);
    last_read_ = absl::Now();
    alarm = ArmLocked();
  }
  SetAlarm(alarm, idle_timeout_);
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
    if (!KeepUploadPlace()) {
      manager_->ReleaseUpload();
      return absl::CancelledError("the upload has ended");
    }
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
  {
    absl::MutexLock lock(&mu_);
    if (decided_) return;  // the idle timer finished the call
    last_read_ = absl::Now();
  }
  if (ok) {
    absl::Status accepted = Accept();
    if (!accepted.ok()) return End(accepted);
    StartRead(&chunk_);
    return;
  }
  // The client closed its side (or went away): create the job.
  if (!has_job_) {
    return End(absl::InvalidArgumentError(
        "job: the upload carried no job description"));
  }
  if (rows_ == 0) {
    return End(absl::InvalidArgumentError("points: the upload had no points"));
  }
  if (!Decide()) return;
  executor_->Schedule([this] { CreateJob(); });
}

void UploadJobReactor::CreateJob() {
  if (Abandoned()) {
    FinishWith(absl::CancelledError("the upload was cancelled"));
    return;
  }
  absl::StatusOr<JobInfo> job = GuardTorch([&]() -> absl::StatusOr<JobInfo> {
    ASSIGN_OR_RETURN(const NewModelJob request, NewModelJobFromProto(job_));
    torch::Tensor data = torch::empty({rows_, cols_}, torch::kFloat32);
    std::memcpy(data.data_ptr<float>(), values_.data(),
                values_.size() * sizeof(float));
    values_ = std::vector<float>();
    return manager_->CreateUploadedJob(
        request, data, caller_.has_value() ? &*caller_ : nullptr,
        [this] { return Abandoned(); });
  });
  if (job.ok()) *response_ = JobToProto(*job);
  FinishWith(job.status());
}

bool UploadJobReactor::Decide() {
  absl::MutexLock lock(&mu_);
  if (decided_) return false;
  decided_ = true;
  return true;
}

void UploadJobReactor::End(const absl::Status& status) {
  if (Decide()) FinishWith(status);
}

grpc::Alarm* UploadJobReactor::ArmLocked() {
  ++refs_;  // held by the alarm until its callback returns
  previous_alarm_ = std::move(alarm_);
  alarm_ = std::make_unique<grpc::Alarm>();
  return alarm_.get();
}

void UploadJobReactor::SetAlarm(grpc::Alarm* alarm, absl::Duration wait) {
  alarm->Set(
      std::chrono::system_clock::now() + absl::ToChronoMilliseconds(wait),
      [this](bool fired) {
        OnIdleAlarm(fired);
        Unref();
      });
}

void UploadJobReactor::OnIdleAlarm(bool fired) {
  grpc::Alarm* rearm = nullptr;
  absl::Duration wait;
  {
    absl::MutexLock lock(&mu_);
    if (!fired || decided_) return;
    const absl::Duration idle = absl::Now() - last_read_;
    if (idle < idle_timeout_) {
      wait = idle_timeout_ - idle;
      rearm = ArmLocked();
    } else {
      decided_ = true;
    }
  }
  if (rearm != nullptr) return SetAlarm(rearm, wait);
  FinishWith(absl::DeadlineExceededError(absl::StrCat(
      "the upload sent nothing for ", absl::FormatDuration(idle_timeout_),
      " (--upload_idle_timeout); it was cancelled and no job was created")));
}

void UploadJobReactor::OnDone() {
  ReleaseUploadPlace();
  grpc::Alarm* alarm = nullptr;
  {
    absl::MutexLock lock(&mu_);
    alarm = alarm_.get();
  }
  if (alarm != nullptr) alarm->Cancel();  // its callback runs soon
  Unref();
}

void UploadJobReactor::Unref() {
  bool last;
  {
    absl::MutexLock lock(&mu_);
    last = --refs_ == 0;
  }
  if (last) delete this;
}

bool UploadJobReactor::KeepUploadPlace() {
  absl::MutexLock lock(&mu_);
  if (upload_released_) return false;
  holds_upload_ = true;
  return true;
}

void UploadJobReactor::ReleaseUploadPlace() {
  bool release = false;
  {
    absl::MutexLock lock(&mu_);
    release = holds_upload_;
    holds_upload_ = false;
    upload_released_ = true;
  }
  if (release) manager_->ReleaseUpload();
}

void UploadJobReactor::FinishWith(const absl::Status& status) {
  // Before Finish(): a client that sees the outcome may upload again at once.
  ReleaseUploadPlace();
  const grpc::Status grpc_status = ToGrpcStatus(status);
  timer_.Finish(grpc_status.error_code());
  Finish(grpc_status);
}

}  // namespace jkoflow

#ifndef JKOFLOW_SERVER_RPC_UPLOAD_JOB_REACTOR_H_
#define JKOFLOW_SERVER_RPC_UPLOAD_JOB_REACTOR_H_

#include <grpcpp/alarm.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "jkoflow/v1/training.pb.h"
#include "server/auth/caller.h"
#include "server/jobs/job_manager.h"
#include "server/observability/metrics.h"
#include "server/rpc/executor.h"

namespace jkoflow {

// UploadJobReactor receives one TrainingService.UploadTrainingJob stream:
// the first message carries the job, the following ones point chunks of a
// constant dimension, each validated on arrival (shape, length, finite
// values and range). A full training queue, or --max_uploads uploads in
// progress, refuses the upload at its first message (RESOURCE_EXHAUSTED).
// A stream that sends nothing for `idle_timeout` (--upload_idle_timeout)
// is finished with DEADLINE_EXCEEDED naming the flag; a gRPC alarm checks
// it. When the client closes the stream the points are handed to the
// executor, which creates the job (persisting them as the job's .npy).
// A cancelled upload never creates a job: the call's cancellation is
// checked before the work starts and again just before the job becomes
// visible (JobManager::CreateUploadedJob's `abandoned`). Deletes itself
// once gRPC is done with it and no alarm callback is pending, giving its
// upload place back.
class UploadJobReactor final : public grpc::ServerReadReactor<v1::UploadChunk> {
 public:
  // `context` is the call's; `caller` its identity (nullopt without
  // tokens), checked for ownership when the job is created. A zero or
  // infinite `idle_timeout` never times out.
  UploadJobReactor(JobManager* manager, Executor* executor, Metrics* metrics,
                   grpc::CallbackServerContext* context,
                   std::optional<Caller> caller, absl::Duration idle_timeout,
                   v1::Job* response);

  void OnReadDone(bool ok) override;
  void OnCancel() override { cancelled_ = true; }
  void OnDone() override;

 private:
  // Accept() validates and stores chunk_.
  absl::Status Accept();
  // CreateJob() runs on the executor once every point has arrived.
  void CreateJob();
  bool Abandoned() const { return cancelled_ || context_->IsCancelled(); }
  // Decide() claims the call's one outcome: false when the idle timer (or
  // an earlier path) has already decided it.
  bool Decide();
  // End() finishes the call with `status` unless the outcome is decided.
  void End(const absl::Status& status);
  // FinishWith() gives the upload place back, then finishes the call.
  void FinishWith(const absl::Status& status);
  // KeepUploadPlace() records a place just taken; false (the caller gives
  // it back) when the call has already released its place.
  bool KeepUploadPlace();
  // ReleaseUploadPlace() gives the place back once; later calls do nothing.
  void ReleaseUploadPlace();
  // ArmLocked() prepares an alarm for `wait` from now; the caller sets it
  // with SetAlarm() outside the lock.
  grpc::Alarm* ArmLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetAlarm(grpc::Alarm* alarm, absl::Duration wait);
  // OnIdleAlarm() finishes a stream idle for idle_timeout_, or re-arms.
  void OnIdleAlarm(bool fired);
  void Unref();

  JobManager* const manager_;
  Executor* const executor_;
  grpc::CallbackServerContext* const context_;
  const std::optional<Caller> caller_;
  const absl::Duration idle_timeout_;
  v1::Job* const response_;
  RequestTimer timer_;
  std::atomic<bool> cancelled_{false};
  v1::UploadChunk chunk_;
  bool has_job_ = false;
  v1::CreateTrainingJobRequest job_;
  int64_t rows_ = 0;
  int64_t cols_ = 0;
  std::vector<float> values_;

  absl::Mutex mu_;
  int refs_ ABSL_GUARDED_BY(mu_) = 1;  // gRPC's + one per armed alarm
  bool decided_ ABSL_GUARDED_BY(mu_) = false;
  // Owns one JobManager::AcquireUpload() place; given back as soon as the
  // call's outcome is sent (before the client can see it), never twice.
  bool holds_upload_ ABSL_GUARDED_BY(mu_) = false;
  bool upload_released_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_read_ ABSL_GUARDED_BY(mu_);
  // The armed alarm, and the previous one (whose callback may be running).
  std::unique_ptr<grpc::Alarm> alarm_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<grpc::Alarm> previous_alarm_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_RPC_UPLOAD_JOB_REACTOR_H_

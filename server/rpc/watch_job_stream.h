#ifndef JKOFLOW_SERVER_RPC_WATCH_JOB_STREAM_H_
#define JKOFLOW_SERVER_RPC_WATCH_JOB_STREAM_H_

#include <grpcpp/alarm.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "jkoflow/v1/training.pb.h"
#include "server/jobs/job_manager.h"
#include "server/observability/metrics.h"

namespace jkoflow {

// WatchJobStream is the reactor of one TrainingService.WatchJob call. It
// polls the job's progress on a gRPC alarm every `interval` (100 ms: at
// most 10 events per second), writes an event whenever there is news, and
// finishes OK right after writing an event with a terminal state. While the
// server drains it finishes with UNAVAILABLE (the job resumes after the
// restart; watch again). Deletes itself once gRPC is done with it and no
// alarm callback is pending.
class WatchJobStream final : public grpc::ServerWriteReactor<v1::JobEvent> {
 public:
  // Start() creates the reactor; NOT_FOUND for an unknown job.
  static grpc::ServerWriteReactor<v1::JobEvent>* Start(
      JobManager* manager, Metrics* metrics, const std::atomic<bool>* draining,
      const std::string& id, absl::Duration interval = absl::Milliseconds(100));

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  WatchJobStream(JobManager* manager, Metrics* metrics,
                 const std::atomic<bool>* draining, std::string id,
                 absl::Duration interval);
  // What to do next, decided under the lock and done outside it.
  enum class Action { kNone, kWrite, kFinish, kArm };
  // Tick() writes news, finishes, or re-arms the alarm.
  void Tick();
  Action NextActionLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Perform(Action action);
  void Unref();

  JobManager* const manager_;
  const std::atomic<bool>* const draining_;
  const std::string id_;
  const absl::Duration interval_;
  RequestTimer timer_;

  absl::Mutex mu_;
  int refs_ ABSL_GUARDED_BY(mu_) = 1;  // gRPC's + one per armed alarm
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool wrote_terminal_ ABSL_GUARDED_BY(mu_) = false;
  bool wrote_any_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t revision_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status finish_status_ ABSL_GUARDED_BY(mu_);
  v1::JobEvent event_ ABSL_GUARDED_BY(mu_);
  // The armed alarm, and the previous one (whose callback may be running).
  std::unique_ptr<grpc::Alarm> alarm_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<grpc::Alarm> previous_alarm_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_RPC_WATCH_JOB_STREAM_H_

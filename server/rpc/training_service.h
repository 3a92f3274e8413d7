#ifndef JKOFLOW_SERVER_RPC_TRAINING_SERVICE_H_
#define JKOFLOW_SERVER_RPC_TRAINING_SERVICE_H_

#include <atomic>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jkoflow/v1/training.grpc.pb.h"
#include "server/auth/auth_policy.h"
#include "server/auth/caller.h"
#include "server/jobs/job_manager.h"
#include "server/observability/metrics.h"
#include "server/rpc/call_gate.h"
#include "server/rpc/executor.h"

namespace jkoflow {

// TrainingService exposes the JobManager. Job creation (which reads data
// files and writes job records) and cancellation (which persists) run on
// the executor; lookups finish inline; uploads and watches have their own
// reactors. Every call passes `gate` first. While `draining` is set every
// new call gets UNAVAILABLE. With an Authenticator (a server with tokens;
// the gate checks the roles) the job calls pass the caller's identity to
// the JobManager, which checks ownership. An
// upload that sends nothing for `upload_idle_timeout` is ended (0: never).
// Borrows everything it is given; thread-safe.
class TrainingService final : public GatedService<v1::TrainingService> {
 public:
  TrainingService(const CallGate* gate, JobManager* manager, Executor* executor,
                  Metrics* metrics, const std::atomic<bool>* draining,
                  const Authenticator* auth = nullptr,
                  absl::Duration upload_idle_timeout = absl::ZeroDuration())
      : GatedService(gate),
        manager_(manager),
        executor_(executor),
        metrics_(metrics),
        draining_(draining),
        auth_(auth),
        upload_idle_timeout_(upload_idle_timeout) {
    Open("CreateTrainingJob", &TrainingService::CreateTrainingJob);
    Open("UploadTrainingJob", &TrainingService::UploadTrainingJob);
    Open("TrainBlock", &TrainingService::TrainBlock);
    Open("GetJob", &TrainingService::GetJob);
    Open("ListJobs", &TrainingService::ListJobs);
    Open("CancelJob", &TrainingService::CancelJob);
    Open("WatchJob", &TrainingService::WatchJob);
  }

  grpc::ServerUnaryReactor* CreateTrainingJob(
      grpc::CallbackServerContext* context,
      const v1::CreateTrainingJobRequest* request, v1::Job* response) override;
  grpc::ServerReadReactor<v1::UploadChunk>* UploadTrainingJob(
      grpc::CallbackServerContext* context, v1::Job* response) override;
  grpc::ServerUnaryReactor* TrainBlock(grpc::CallbackServerContext* context,
                                       const v1::TrainBlockRequest* request,
                                       v1::Job* response) override;
  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* context,
                                   const v1::GetJobRequest* request,
                                   v1::Job* response) override;
  grpc::ServerUnaryReactor* ListJobs(grpc::CallbackServerContext* context,
                                     const v1::ListJobsRequest* request,
                                     v1::ListJobsResponse* response) override;
  grpc::ServerUnaryReactor* CancelJob(grpc::CallbackServerContext* context,
                                      const v1::CancelJobRequest* request,
                                      v1::Job* response) override;
  grpc::ServerWriteReactor<v1::JobEvent>* WatchJob(
      grpc::CallbackServerContext* context,
      const v1::WatchJobRequest* request) override;

 private:
  bool draining() const { return draining_->load(); }
  // Identify() is the call's Caller; nullopt on a server without tokens.
  absl::StatusOr<std::optional<Caller>> Identify(
      const grpc::CallbackServerContext& context) const;

  JobManager* const manager_;
  Executor* const executor_;
  Metrics* const metrics_;
  const std::atomic<bool>* const draining_;
  const Authenticator* const auth_;           // null without --auth_token_file
  const absl::Duration upload_idle_timeout_;  // 0: none
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_RPC_TRAINING_SERVICE_H_

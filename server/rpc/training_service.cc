#include "server/rpc/training_service.h"

#include <memory>
#include <utility>

#include "server/rpc/job_messages.h"
#include "server/rpc/status_map.h"
#include "server/rpc/unary_call.h"
#include "server/rpc/upload_job_reactor.h"
#include "server/rpc/watch_job_stream.h"

namespace jkoflow {
namespace {

// OffThread() finishes a unary call with `work(caller)` run on the
// executor, `caller` being the identity of the call (nullptr without
// tokens); `work` fills the response and returns the status.
template <typename Work>
grpc::ServerUnaryReactor* OffThread(
    grpc::CallbackServerContext* context, Metrics* metrics, const char* method,
    bool draining, Executor* executor,
    absl::StatusOr<std::optional<Caller>> caller, Work work) {
  auto call = std::make_shared<UnaryCall>(context, metrics, method);
  grpc::ServerUnaryReactor* reactor = call->reactor();
  if (draining || !caller.ok()) {
    call->Finish(draining ? DrainingError() : caller.status());
    return reactor;
  }
  executor->Schedule(
      [call, caller = *std::move(caller), work = std::move(work)] {
        call->Finish(work(caller.has_value() ? &*caller : nullptr));
      });
  return reactor;
}

// Assign() writes a StatusOr's job into *out and returns its status.
absl::Status Assign(const absl::StatusOr<JobInfo>& job, v1::Job* out) {
  if (job.ok()) *out = JobToProto(*job);
  return job.status();
}

}  // namespace

absl::StatusOr<std::optional<Caller>> TrainingService::Identify(
    const grpc::CallbackServerContext& context) const {
  if (auth_ == nullptr) return std::optional<Caller>();
  absl::StatusOr<Caller> caller = auth_->Identify(context);
  if (!caller.ok()) return caller.status();
  return std::optional<Caller>(*std::move(caller));
}

grpc::ServerUnaryReactor* TrainingService::CreateTrainingJob(
    grpc::CallbackServerContext* context,
    const v1::CreateTrainingJobRequest* request, v1::Job* response) {
  return OffThread(
      context, metrics_, "CreateTrainingJob", draining(), executor_,
      Identify(*context), [this, request, response](const Caller* caller) {
        absl::StatusOr<NewModelJob> job = NewModelJobFromProto(*request);
        if (!job.ok()) return job.status();
        return Assign(manager_->CreateTrainingJob(*job, caller), response);
      });
}

grpc::ServerReadReactor<v1::UploadChunk>* TrainingService::UploadTrainingJob(
    grpc::CallbackServerContext* context, v1::Job* response) {
  using Refused = RefusedStream<grpc::ServerReadReactor<v1::UploadChunk>>;
  if (draining()) {
    return new Refused(metrics_, "UploadTrainingJob", DrainingError());
  }
  absl::StatusOr<std::optional<Caller>> caller = Identify(*context);
  if (!caller.ok()) {
    return new Refused(metrics_, "UploadTrainingJob", caller.status());
  }
  return new UploadJobReactor(manager_, executor_, metrics_, context,
                              *std::move(caller), upload_idle_timeout_,
                              response);
}

grpc::ServerUnaryReactor* TrainingService::TrainBlock(
    grpc::CallbackServerContext* context, const v1::TrainBlockRequest* request,
    v1::Job* response) {
  return OffThread(
      context, metrics_, "TrainBlock", draining(), executor_,
      Identify(*context), [this, request, response](const Caller* caller) {
        absl::StatusOr<BlockJob> job = BlockJobFromProto(*request);
        if (!job.ok()) return job.status();
        return Assign(manager_->TrainBlock(*job, caller), response);
      });
}

grpc::ServerUnaryReactor* TrainingService::GetJob(
    grpc::CallbackServerContext* context, const v1::GetJobRequest* request,
    v1::Job* response) {
  UnaryCall call(context, metrics_, "GetJob");
  call.Finish(draining() ? DrainingError()
                         : Assign(manager_->GetJob(request->id()), response));
  return call.reactor();
}

grpc::ServerUnaryReactor* TrainingService::ListJobs(
    grpc::CallbackServerContext* context, const v1::ListJobsRequest*,
    v1::ListJobsResponse* response) {
  UnaryCall call(context, metrics_, "ListJobs");
  if (draining()) {
    call.Finish(DrainingError());
    return call.reactor();
  }
  for (const JobInfo& job : manager_->ListJobs()) {
    *response->add_jobs() = JobToProto(job);
  }
  call.Finish(absl::OkStatus());
  return call.reactor();
}

grpc::ServerUnaryReactor* TrainingService::CancelJob(
    grpc::CallbackServerContext* context, const v1::CancelJobRequest* request,
    v1::Job* response) {
  return OffThread(
      context, metrics_, "CancelJob", draining(), executor_, Identify(*context),
      [this, request, response](const Caller* caller) {
        return Assign(manager_->CancelJob(request->id(), caller), response);
      });
}

grpc::ServerWriteReactor<v1::JobEvent>* TrainingService::WatchJob(
    grpc::CallbackServerContext*, const v1::WatchJobRequest* request) {
  return WatchJobStream::Start(manager_, metrics_, draining_, request->id());
}

}  // namespace jkoflow

#include "server/rpc/auth_services.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "server/rpc/unary_call.h"

namespace jkoflow {
namespace {

// Guarded() hands a unary call to `forward` when the Authenticator allows
// it, and otherwise finishes it with the refusal.
template <typename Forward>
grpc::ServerUnaryReactor* Guarded(const Authenticator& auth, Metrics* metrics,
                                  grpc::CallbackServerContext* context,
                                  absl::string_view service,
                                  absl::string_view method, Forward forward) {
  const std::string full = absl::StrCat("/", service, "/", method);
  absl::Status allowed = auth.Check(*context, full);
  if (allowed.ok()) return forward();
  UnaryCall call(context, metrics, method);
  call.Finish(allowed);
  return call.reactor();
}

// GuardedStream() does the same for a streaming call (Base: its reactor).
template <typename Base, typename Forward>
Base* GuardedStream(const Authenticator& auth, Metrics* metrics,
                    grpc::CallbackServerContext* context,
                    absl::string_view service, absl::string_view method,
                    Forward forward) {
  const std::string full = absl::StrCat("/", service, "/", method);
  absl::Status allowed = auth.Check(*context, full);
  if (allowed.ok()) return forward();
  return new RefusedStream<Base>(metrics, method, allowed);
}

constexpr absl::string_view kFlow = "jkoflow.v1.FlowService";
constexpr absl::string_view kTraining = "jkoflow.v1.TrainingService";

}  // namespace

grpc::ServerUnaryReactor* AuthorizedFlowService::ListModels(
    grpc::CallbackServerContext* context, const v1::ListModelsRequest* request,
    v1::ListModelsResponse* response) {
  return Guarded(*auth_, metrics_, context, kFlow, "ListModels", [&] {
    return inner_->ListModels(context, request, response);
  });
}

grpc::ServerUnaryReactor* AuthorizedFlowService::GetModel(
    grpc::CallbackServerContext* context, const v1::GetModelRequest* request,
    v1::ModelInfo* response) {
  return Guarded(*auth_, metrics_, context, kFlow, "GetModel",
                 [&] { return inner_->GetModel(context, request, response); });
}

grpc::ServerWriteReactor<v1::SampleChunk>* AuthorizedFlowService::Sample(
    grpc::CallbackServerContext* context, const v1::SampleRequest* request) {
  return GuardedStream<grpc::ServerWriteReactor<v1::SampleChunk>>(
      *auth_, metrics_, context, kFlow, "Sample",
      [&] { return inner_->Sample(context, request); });
}

grpc::ServerUnaryReactor* AuthorizedFlowService::LogLikelihood(
    grpc::CallbackServerContext* context,
    const v1::LogLikelihoodRequest* request,
    v1::LogLikelihoodResponse* response) {
  return Guarded(*auth_, metrics_, context, kFlow, "LogLikelihood", [&] {
    return inner_->LogLikelihood(context, request, response);
  });
}

grpc::ServerUnaryReactor* AuthorizedFlowService::LoadModel(
    grpc::CallbackServerContext* context, const v1::LoadModelRequest* request,
    v1::LoadModelResponse* response) {
  return Guarded(*auth_, metrics_, context, kFlow, "LoadModel",
                 [&] { return inner_->LoadModel(context, request, response); });
}

grpc::ServerUnaryReactor* AuthorizedFlowService::UnloadModel(
    grpc::CallbackServerContext* context, const v1::UnloadModelRequest* request,
    v1::UnloadModelResponse* response) {
  return Guarded(*auth_, metrics_, context, kFlow, "UnloadModel", [&] {
    return inner_->UnloadModel(context, request, response);
  });
}

grpc::ServerUnaryReactor* AuthorizedTrainingService::CreateTrainingJob(
    grpc::CallbackServerContext* context,
    const v1::CreateTrainingJobRequest* request, v1::Job* response) {
  return Guarded(
      *auth_, metrics_, context, kTraining, "CreateTrainingJob",
      [&] { return inner_->CreateTrainingJob(context, request, response); });
}

grpc::ServerReadReactor<v1::UploadChunk>*
AuthorizedTrainingService::UploadTrainingJob(
    grpc::CallbackServerContext* context, v1::Job* response) {
  return GuardedStream<grpc::ServerReadReactor<v1::UploadChunk>>(
      *auth_, metrics_, context, kTraining, "UploadTrainingJob",
      [&] { return inner_->UploadTrainingJob(context, response); });
}

grpc::ServerUnaryReactor* AuthorizedTrainingService::TrainBlock(
    grpc::CallbackServerContext* context, const v1::TrainBlockRequest* request,
    v1::Job* response) {
  return Guarded(*auth_, metrics_, context, kTraining, "TrainBlock", [&] {
    return inner_->TrainBlock(context, request, response);
  });
}

grpc::ServerUnaryReactor* AuthorizedTrainingService::GetJob(
    grpc::CallbackServerContext* context, const v1::GetJobRequest* request,
    v1::Job* response) {
  return Guarded(*auth_, metrics_, context, kTraining, "GetJob",
                 [&] { return inner_->GetJob(context, request, response); });
}

grpc::ServerUnaryReactor* AuthorizedTrainingService::ListJobs(
    grpc::CallbackServerContext* context, const v1::ListJobsRequest* request,
    v1::ListJobsResponse* response) {
  return Guarded(*auth_, metrics_, context, kTraining, "ListJobs",
                 [&] { return inner_->ListJobs(context, request, response); });
}

grpc::ServerUnaryReactor* AuthorizedTrainingService::CancelJob(
    grpc::CallbackServerContext* context, const v1::CancelJobRequest* request,
    v1::Job* response) {
  return Guarded(*auth_, metrics_, context, kTraining, "CancelJob",
                 [&] { return inner_->CancelJob(context, request, response); });
}

grpc::ServerWriteReactor<v1::JobEvent>* AuthorizedTrainingService::WatchJob(
    grpc::CallbackServerContext* context, const v1::WatchJobRequest* request) {
  return GuardedStream<grpc::ServerWriteReactor<v1::JobEvent>>(
      *auth_, metrics_, context, kTraining, "WatchJob",
      [&] { return inner_->WatchJob(context, request); });
}

}  // namespace jkoflow

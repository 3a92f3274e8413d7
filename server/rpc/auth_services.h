#ifndef JKOFLOW_SERVER_RPC_AUTH_SERVICES_H_
#define JKOFLOW_SERVER_RPC_AUTH_SERVICES_H_

#include "jkoflow/v1/flow.grpc.pb.h"
#include "jkoflow/v1/training.grpc.pb.h"
#include "server/auth/auth_policy.h"
#include "server/observability/metrics.h"

namespace jkoflow {

// AuthorizedFlowService is registered in place of a FlowService when the
// server has a token file: each handler asks the Authenticator first and
// either refuses the call (UNAUTHENTICATED, PERMISSION_DENIED, counted in
// the request metrics) or hands it unchanged to `inner`. Borrows
// everything; thread-safe.
class AuthorizedFlowService final : public v1::FlowService::CallbackService {
 public:
  AuthorizedFlowService(v1::FlowService::CallbackService* inner,
                        const Authenticator* auth, Metrics* metrics)
      : inner_(inner), auth_(auth), metrics_(metrics) {}

  grpc::ServerUnaryReactor* ListModels(
      grpc::CallbackServerContext* context,
      const v1::ListModelsRequest* request,
      v1::ListModelsResponse* response) override;
  grpc::ServerUnaryReactor* GetModel(grpc::CallbackServerContext* context,
                                     const v1::GetModelRequest* request,
                                     v1::ModelInfo* response) override;
  grpc::ServerWriteReactor<v1::SampleChunk>* Sample(
      grpc::CallbackServerContext* context,
      const v1::SampleRequest* request) override;
  grpc::ServerUnaryReactor* LogLikelihood(
      grpc::CallbackServerContext* context,
      const v1::LogLikelihoodRequest* request,
      v1::LogLikelihoodResponse* response) override;
  grpc::ServerUnaryReactor* LoadModel(grpc::CallbackServerContext* context,
                                      const v1::LoadModelRequest* request,
                                      v1::LoadModelResponse* response) override;
  grpc::ServerUnaryReactor* UnloadModel(
      grpc::CallbackServerContext* context,
      const v1::UnloadModelRequest* request,
      v1::UnloadModelResponse* response) override;

 private:
  v1::FlowService::CallbackService* const inner_;
  const Authenticator* const auth_;
  Metrics* const metrics_;
};

// AuthorizedTrainingService does the same for a TrainingService.
class AuthorizedTrainingService final
    : public v1::TrainingService::CallbackService {
 public:
  AuthorizedTrainingService(v1::TrainingService::CallbackService* inner,
                            const Authenticator* auth, Metrics* metrics)
      : inner_(inner), auth_(auth), metrics_(metrics) {}

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
  v1::TrainingService::CallbackService* const inner_;
  const Authenticator* const auth_;
  Metrics* const metrics_;
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_RPC_AUTH_SERVICES_H_

#ifndef JKOFLOW_SERVER_RPC_FLOW_SERVICE_H_
#define JKOFLOW_SERVER_RPC_FLOW_SERVICE_H_

#include <atomic>

#include "jkoflow/v1/flow.grpc.pb.h"
#include "server/observability/metrics.h"
#include "server/rpc/call_gate.h"
#include "server/rpc/executor.h"
#include "server/rpc/flow_requests.h"
#include "server/serving/batcher.h"
#include "server/serving/model_registry.h"

namespace jkoflow {

// FlowService serves the registry's models. Handlers validate, look the
// model up and hand the work to the batcher (Sample, LogLikelihood) or the
// executor (LoadModel); only cheap lookups finish inline. Every call
// passes `gate` first. While `draining` is set every new call gets
// UNAVAILABLE. Borrows everything it is given; thread-safe.
class FlowService final : public GatedService<v1::FlowService> {
 public:
  FlowService(const CallGate* gate, ModelRegistry* registry, Batcher* batcher,
              Executor* executor, Metrics* metrics, const ServingLimits& limits,
              const std::atomic<bool>* draining)
      : GatedService(gate),
        registry_(registry),
        batcher_(batcher),
        executor_(executor),
        metrics_(metrics),
        limits_(limits),
        draining_(draining) {
    Open("ListModels", &FlowService::ListModels);
    Open("GetModel", &FlowService::GetModel);
    Open("Sample", &FlowService::Sample);
    Open("LogLikelihood", &FlowService::LogLikelihood);
    Open("LoadModel", &FlowService::LoadModel);
    Open("UnloadModel", &FlowService::UnloadModel);
    Open("ExportModel", &FlowService::ExportModel);
  }

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
  // ExportModel() builds the TorchScript archive on the executor.
  grpc::ServerUnaryReactor* ExportModel(
      grpc::CallbackServerContext* context,
      const v1::ExportModelRequest* request,
      v1::ExportModelResponse* response) override;

 private:
  bool draining() const { return draining_->load(); }

  ModelRegistry* const registry_;
  Batcher* const batcher_;
  Executor* const executor_;
  Metrics* const metrics_;
  const ServingLimits limits_;
  const std::atomic<bool>* const draining_;
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_RPC_FLOW_SERVICE_H_

#ifndef JKOFLOW_SERVER_RPC_INFERENCE_SERVICE_H_
#define JKOFLOW_SERVER_RPC_INFERENCE_SERVICE_H_

#include <atomic>

#include "inference/grpc_service.grpc.pb.h"
#include "server/observability/metrics.h"
#include "server/rpc/call_gate.h"
#include "server/rpc/flow_requests.h"
#include "server/serving/batcher.h"
#include "server/serving/model_registry.h"

namespace jkoflow {

// InferenceService serves the registry's models over the Open Inference
// Protocol v2 (inference.GRPCInferenceService; signatures in
// server/rpc/infer_request.h) on the server's own port. ModelInfer is
// translated to FlowService's LogLikelihood or Sample request and goes
// through the same validation, limits and batcher; every call passes `gate`
// first, and is counted in the request metrics under its method name. While
// `draining` is set every new call gets UNAVAILABLE (ServerReady answers not
// ready). Borrows everything; thread-safe.
class InferenceService final
    : public GatedService<inference::GRPCInferenceService> {
 public:
  InferenceService(const CallGate* gate, ModelRegistry* registry,
                   Batcher* batcher, Metrics* metrics,
                   const ServingLimits& limits,
                   const std::atomic<bool>* draining)
      : GatedService(gate),
        registry_(registry),
        batcher_(batcher),
        metrics_(metrics),
        limits_(limits),
        draining_(draining) {
    Open("ServerLive", &InferenceService::ServerLive);
    Open("ServerReady", &InferenceService::ServerReady);
    Open("ModelReady", &InferenceService::ModelReady);
    Open("ServerMetadata", &InferenceService::ServerMetadata);
    Open("ModelMetadata", &InferenceService::ModelMetadata);
    Open("ModelInfer", &InferenceService::ModelInfer);
  }

  grpc::ServerUnaryReactor* ServerLive(
      grpc::CallbackServerContext* context,
      const inference::ServerLiveRequest* request,
      inference::ServerLiveResponse* response) override;
  grpc::ServerUnaryReactor* ServerReady(
      grpc::CallbackServerContext* context,
      const inference::ServerReadyRequest* request,
      inference::ServerReadyResponse* response) override;
  grpc::ServerUnaryReactor* ModelReady(
      grpc::CallbackServerContext* context,
      const inference::ModelReadyRequest* request,
      inference::ModelReadyResponse* response) override;
  grpc::ServerUnaryReactor* ServerMetadata(
      grpc::CallbackServerContext* context,
      const inference::ServerMetadataRequest* request,
      inference::ServerMetadataResponse* response) override;
  grpc::ServerUnaryReactor* ModelMetadata(
      grpc::CallbackServerContext* context,
      const inference::ModelMetadataRequest* request,
      inference::ModelMetadataResponse* response) override;
  grpc::ServerUnaryReactor* ModelInfer(
      grpc::CallbackServerContext* context,
      const inference::ModelInferRequest* request,
      inference::ModelInferResponse* response) override;

 private:
  // Admitted() is OK when the call may proceed: the server is not
  // draining (the gate has checked the token).
  absl::Status Admitted() const;
  // StartLogProb() and StartSample() run a translated ModelInfer on
  // `model`, the version ModelInfer resolved (once, so that the request's
  // shape checks and the computation see the same version).
  grpc::ServerUnaryReactor* StartLogProb(
      grpc::CallbackServerContext* context, v1::LogLikelihoodRequest request,
      ModelVersion model, bool raw, inference::ModelInferResponse* response);
  grpc::ServerUnaryReactor* StartSample(
      grpc::CallbackServerContext* context, const v1::SampleRequest& request,
      ModelVersion model, bool raw, inference::ModelInferResponse* response);

  ModelRegistry* const registry_;
  Batcher* const batcher_;
  Metrics* const metrics_;
  const ServingLimits limits_;
  const std::atomic<bool>* const draining_;
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_RPC_INFERENCE_SERVICE_H_

#ifndef JKOFLOW_SERVER_APP_SERVER_H_
#define JKOFLOW_SERVER_APP_SERVER_H_

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/app/server_options.h"
#include "server/auth/auth_policy.h"
#include "server/http/rest_gateway.h"
#include "server/jobs/job_manager.h"
#include "server/observability/metrics.h"
#include "server/rpc/executor.h"
#include "server/rpc/flow_service.h"
#include "server/rpc/inference_service.h"
#include "server/rpc/training_service.h"
#include "server/serving/batcher.h"
#include "server/serving/model_registry.h"
#include "server/serving/store_poller.h"

namespace jkoflow {

// Server owns a running jkoflow server: metrics (and their HTTP exposer),
// the model registry, the batcher, the executor, the job manager, the two
// services and the gRPC server, built in that order and shut down in
// reverse. Health (grpc.health.v1) and server reflection are enabled.
// Thread-safe; Shutdown() may be called from any thread, once.
class Server {
 public:
  // Start() builds everything, loads the model store, resumes persisted
  // jobs and starts listening. Returns INVALID_ARGUMENT for bad options
  // (an unknown device, a malformed address) and UNAVAILABLE when an
  // address cannot be bound.
  static absl::StatusOr<std::unique_ptr<Server>> Start(
      const ServerOptions& options);
  ~Server();

  // listen_address() / metrics_address() are "host:port" with the port
  // actually bound (useful with port 0).
  const std::string& listen_address() const { return listen_address_; }
  const std::string& metrics_address() const { return metrics_address_; }
  // http_address() is the REST gateway's "host:port"; "" without
  // --http_listen.
  std::string http_address() const {
    return http_ == nullptr ? std::string() : http_->address();
  }

  // Shutdown() drains: health turns NOT_SERVING, new calls get UNAVAILABLE,
  // /metrics stops, the running training job stops at an iteration
  // boundary (and stays RUNNING on disk, to resume on the next start),
  // in-flight calls finish (then are cancelled), and the workers stop,
  // all within one drain_timeout. False when the training job did not
  // stop in that time (a step that cannot be interrupted, such as a
  // publish): the caller should then exit without destroying the server,
  // and the job resumes on the next start as after a crash. Later calls
  // return true.
  bool Shutdown();

  // ReloadAuth() rereads --auth_token_file (on SIGHUP). On error the old
  // tokens stay in force; OK and nothing done without a token file.
  absl::Status ReloadAuth();

 private:
  explicit Server(const ServerOptions& options) : options_(options) {}

  // Start() in steps, one per part of the server, each on options_:
  // metrics and their endpoint; the model registry, its poller, the
  // batcher and the executor; the job manager; the services; the gRPC
  // server on `credentials` and its health status.
  absl::Status StartMetrics();
  absl::Status StartServing(torch::Device device);
  absl::Status StartJobs(torch::Device device);
  void MakeServices();
  absl::Status StartGrpc(std::shared_ptr<grpc::ServerCredentials> credentials);
  // StartHttp() puts the REST gateway in front of the gRPC server (with
  // --http_listen).
  absl::Status StartHttp();

  const ServerOptions options_;
  std::atomic<bool> draining_{false};
  std::string listen_address_;
  std::string metrics_address_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<MetricsExposer> exposer_;
  std::unique_ptr<ModelRegistry> registry_;
  std::unique_ptr<StorePoller> store_poller_;  // with --model_poll_s
  std::unique_ptr<Batcher> batcher_;
  std::unique_ptr<Executor> executor_;
  std::unique_ptr<JobManager> jobs_;
  // The one door of every RPC: the role table and, with
  // --auth_token_file, the token check (auth_).
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<CallGate> gate_;
  std::unique_ptr<FlowService> flow_service_;
  std::unique_ptr<TrainingService> training_service_;
  std::unique_ptr<InferenceService> inference_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<RestGateway> http_;  // with --http_listen
  bool shut_down_ = false;
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_APP_SERVER_H_

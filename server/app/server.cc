#include "server/app/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <torch/cuda.h>
#include <torch/types.h>

#include <chrono>
#include <exception>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/host_port.h"
#include "base/status_macros.h"
#include "server/auth/tls_credentials.h"
#include "server/observability/log.h"

namespace jkoflow {
namespace {

constexpr const char* kServiceNames[] = {"jkoflow.v1.FlowService",
                                         "jkoflow.v1.TrainingService",
                                         "inference.GRPCInferenceService"};

// TlsFilesOf() is the TLS files of the gRPC port, which the REST port
// shares.
TlsFiles TlsFilesOf(const ServerOptions& options) {
  return TlsFiles{options.tls_cert, options.tls_key, options.tls_client_ca};
}

absl::StatusOr<torch::Device> ParseDevice(const std::string& name) {
  std::optional<torch::Device> device;
  try {
    device.emplace(name);
  } catch (const std::exception&) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--device: expected cpu, cuda or cuda:<index>, got \"", name, "\""));
  }
  if (device->is_cuda() &&
      (!torch::cuda::is_available() ||
       device->index() >= static_cast<int>(torch::cuda::device_count()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("--device: ", name, " is not available to this LibTorch (",
                     torch::cuda::device_count(), " CUDA devices)"));
  }
  if (!device->is_cpu() && !device->is_cuda()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--device: only cpu and cuda are supported, got ", name));
  }
  return *device;
}

// IsLoopback() is true for a host only this machine can reach.
bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

// WarnIfExposed() logs the risk of serving a reachable address without
// tokens: anyone who can connect may train, publish and unload models.
void WarnIfExposed(const ServerOptions& options) {
  if (!options.auth_token_file.empty()) return;
  const std::string host = HostPart(options.listen);
  if (IsLoopback(host)) return;
  Log(LogSeverity::kWarning,
      absl::StrCat("--listen ", options.listen,
                   " is reachable from other machines and there is no "
                   "--auth_token_file: anyone who can connect may train, "
                   "publish, load and unload models and fill the disk"));
}

}  // namespace

namespace {

// ValidateServerOptions() checks the limits Start() takes as they are.
absl::Status ValidateServerOptions(const ServerOptions& options) {
  if (options.max_message_bytes < 1024 ||
      options.max_message_bytes > (int64_t{1} << 31) - 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_message_bytes: must be in [1024, 2^31 - 1], got ",
                     options.max_message_bytes));
  }
  if (options.max_samples_per_request < 1) {
    return absl::InvalidArgumentError("--max_samples_per_request: must be ≥ 1");
  }
  if (options.max_request_bytes < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max_request_bytes: must be ≥ 1, got ", options.max_request_bytes));
  }
  if (options.max_queued_jobs < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max_queued_jobs: must be ≥ 1, got ", options.max_queued_jobs));
  }
  if (options.max_block_params < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max_block_params: must be ≥ 0, got ", options.max_block_params));
  }
  if (options.keep_versions < 0 || options.max_store_bytes < 0 ||
      options.max_uploads < 0 || options.model_poll_s < 0) {
    return absl::InvalidArgumentError(
        "--keep_versions, --max_store_bytes, --max_uploads and "
        "--model_poll_s: must be ≥ 0");
  }
  if (options.http_max_body_bytes < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http_max_body_bytes: must be ≥ 1, got ",
                     options.http_max_body_bytes));
  }
  if (options.max_job_restarts < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max_job_restarts: must be ≥ 0, got ", options.max_job_restarts));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(
    const ServerOptions& options) {
  std::unique_ptr<Server> s(new Server(options));
  ASSIGN_OR_RETURN(const torch::Device device, ParseDevice(options.device));
  RETURN_IF_ERROR(ValidateServerOptions(options));
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                   ServerCredentialsFor(TlsFilesOf(options)));
  if (!options.auth_token_file.empty()) {
    ASSIGN_OR_RETURN(s->auth_, Authenticator::Create(options.auth_token_file));
  }
  WarnIfExposed(options);
  RETURN_IF_ERROR(s->StartMetrics());
  RETURN_IF_ERROR(s->StartServing(device));
  RETURN_IF_ERROR(s->StartJobs(device));
  s->MakeServices();
  RETURN_IF_ERROR(s->StartGrpc(std::move(credentials)));
  RETURN_IF_ERROR(s->StartHttp());
  Log(LogSeverity::kInfo,
      absl::StrCat("serving on ", s->listen_address_, " (device ", device.str(),
                   "), metrics on ", s->metrics_address_));
  return s;
}

absl::Status Server::StartMetrics() {
  metrics_ = std::make_unique<Metrics>();
  ASSIGN_OR_RETURN(exposer_,
                   MetricsExposer::Create(options_.metrics_listen, *metrics_));
  metrics_address_ =
      absl::StrCat(HostPart(options_.metrics_listen), ":", exposer_->port());
  return absl::OkStatus();
}

absl::Status Server::StartServing(torch::Device device) {
  ModelRegistry::Options registry_options;
  registry_options.model_dir = options_.model_dir;
  registry_options.device = device;
  registry_options.metrics = metrics_.get();
  registry_options.max_block_params = options_.max_block_params;
  ASSIGN_OR_RETURN(registry_, ModelRegistry::Create(registry_options));
  RETURN_IF_ERROR(registry_->LoadAll());
  if (options_.model_poll_s > 0) {
    store_poller_ = std::make_unique<StorePoller>(
        registry_.get(), absl::Seconds(options_.model_poll_s));
  }
  Batcher::Options batcher_options;
  batcher_options.max_batch_points = options_.max_batch_points;
  batcher_options.max_queue_delay = options_.max_queue_delay;
  batcher_options.max_queue = options_.max_queue;
  batcher_options.batching = options_.batching;
  batcher_options.metrics = metrics_.get();
  ASSIGN_OR_RETURN(batcher_, Batcher::Create(batcher_options));
  executor_ = std::make_unique<Executor>(options_.executor_threads);
  return absl::OkStatus();
}

absl::Status Server::StartJobs(torch::Device device) {
  JobManager::Options job_options;
  job_options.job_dir = options_.job_dir;
  job_options.data_dir = options_.data_dir;
  job_options.device = device;
  job_options.registry = registry_.get();
  job_options.metrics = metrics_.get();
  job_options.max_queued_jobs = options_.max_queued_jobs;
  job_options.max_job_restarts = options_.max_job_restarts;
  job_options.max_block_params = options_.max_block_params;
  job_options.model_dir = options_.model_dir;
  job_options.max_store_bytes = options_.max_store_bytes;
  job_options.keep_versions = options_.keep_versions;
  job_options.max_uploads = options_.max_uploads;
  ASSIGN_OR_RETURN(jobs_, JobManager::Create(job_options));
  return absl::OkStatus();
}

void Server::MakeServices() {
  ServingLimits limits;
  limits.max_samples_per_request = options_.max_samples_per_request;
  limits.max_batch_points = options_.max_batch_points;
  limits.max_message_bytes = options_.max_message_bytes;
  limits.max_request_bytes = options_.max_request_bytes;
  gate_ = std::make_unique<CallGate>(auth_.get(), metrics_.get());
  flow_service_ = std::make_unique<FlowService>(
      gate_.get(), registry_.get(), batcher_.get(), executor_.get(),
      metrics_.get(), limits, &draining_);
  training_service_ = std::make_unique<TrainingService>(
      gate_.get(), jobs_.get(), executor_.get(), metrics_.get(), &draining_,
      auth_.get(), options_.upload_idle_timeout);
  inference_service_ = std::make_unique<InferenceService>(
      gate_.get(), registry_.get(), batcher_.get(), metrics_.get(), limits,
      &draining_);
}

absl::Status Server::StartGrpc(
    std::shared_ptr<grpc::ServerCredentials> credentials) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options_.listen, credentials, &port);
  // One limit both ways: Sample chunks are sized to fit it (request_budget.h).
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(options_.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(options_.max_message_bytes));
  // Each service's calls pass the one CallGate before their handlers.
  builder.RegisterService(flow_service_.get());
  builder.RegisterService(training_service_.get());
  builder.RegisterService(inference_service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("--listen: cannot listen on ", options_.listen));
  }
  listen_address_ = absl::StrCat(HostPart(options_.listen), ":", port);
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health != nullptr) {
    health->SetServingStatus(true);
    for (const char* name : kServiceNames) {
      health->SetServingStatus(name, true);
    }
  }
  return absl::OkStatus();
}

absl::Status Server::StartHttp() {
  if (options_.http_listen.empty()) return absl::OkStatus();
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(
      static_cast<int>(options_.max_message_bytes));
  arguments.SetMaxSendMessageSize(static_cast<int>(options_.max_message_bytes));
  RestGateway::Options http;
  http.listen = options_.http_listen;
  http.tls = TlsFilesOf(options_);
  http.max_body_bytes = options_.http_max_body_bytes;
  ASSIGN_OR_RETURN(
      http_, RestGateway::Start(http, server_->InProcessChannel(arguments)));
  return absl::OkStatus();
}

Server::~Server() { Shutdown(); }

absl::Status Server::ReloadAuth() {
  if (auth_ == nullptr) return absl::OkStatus();
  return auth_->Reload();
}

bool Server::Shutdown() {
  if (shut_down_ || server_ == nullptr) return true;
  shut_down_ = true;
  draining_ = true;
  if (server_ != nullptr) {
    grpc::HealthCheckServiceInterface* health =
        server_->GetHealthCheckService();
    if (health != nullptr) health->SetServingStatus(false);
  }
  Log(LogSeverity::kInfo, "draining");
  store_poller_.reset();
  // One deadline for everything: training stops at its next iteration
  // while the calls drain, instead of one after the other.
  const absl::Time deadline = absl::Now() + options_.drain_timeout;
  if (jobs_ != nullptr) jobs_->RequestStop();
  // Stopping /metrics waits for civetweb's poll quantum (up to 2 s): do it
  // while the calls drain, not after.
  std::thread exposer_stop(
      [exposer = std::move(exposer_)]() mutable { exposer.reset(); });
  // The REST gateway stops accepting and finishes its calls, which the
  // draining gRPC services answer.
  std::thread http_stop([this] {
    if (http_ != nullptr) http_->Stop();
  });
  if (server_ != nullptr) {
    server_->Shutdown(absl::ToChronoTime(deadline));
    server_->Wait();
  }
  const bool jobs_stopped = jobs_ == nullptr || jobs_->Stop(deadline);
  exposer_stop.join();
  http_stop.join();
  if (!jobs_stopped) {
    Log(LogSeverity::kWarning,
        "the training job did not stop within --drain_timeout; it resumes "
        "on the next start");
    return false;
  }
  if (batcher_ != nullptr) batcher_->Stop();
  executor_.reset();
  Log(LogSeverity::kInfo, "stopped");
  return true;
}

}  // namespace jkoflow

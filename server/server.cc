#include "server/server.h"

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
#include "base/status_macros.h"
#include "server/log.h"
#include "server/tls_credentials.h"

namespace jkoflow {
namespace {

constexpr const char* kServiceNames[] = {"jkoflow.v1.FlowService",
                                         "jkoflow.v1.TrainingService",
                                         "inference.GRPCInferenceService"};

// HostOf() is the host part of "host:port" (brackets of IPv6 kept).
std::string HostOf(const std::string& address) {
  const size_t colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
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
  const std::string host = HostOf(options.listen);
  if (IsLoopback(host)) return;
  Log(LogSeverity::kWarning,
      absl::StrCat("--listen ", options.listen,
                   " is reachable from other machines and there is no "
                   "--auth_token_file: anyone who can connect may train, "
                   "publish, load and unload models and fill the disk"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(
    const ServerOptions& options) {
  std::unique_ptr<Server> s(new Server(options));
  ASSIGN_OR_RETURN(const torch::Device device, ParseDevice(options.device));
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
  if (options.max_job_restarts < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max_job_restarts: must be ≥ 0, got ", options.max_job_restarts));
  }

  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                   ServerCredentialsFor(options));
  if (!options.auth_token_file.empty()) {
    ASSIGN_OR_RETURN(s->auth_, Authenticator::Create(options.auth_token_file));
  }
  WarnIfExposed(options);

  s->metrics_ = std::make_unique<Metrics>();
  ASSIGN_OR_RETURN(s->exposer_, MetricsExposer::Create(options.metrics_listen,
                                                       *s->metrics_));
  s->metrics_address_ =
      absl::StrCat(HostOf(options.metrics_listen), ":", s->exposer_->port());

  ModelRegistry::Options registry_options;
  registry_options.model_dir = options.model_dir;
  registry_options.device = device;
  registry_options.metrics = s->metrics_.get();
  registry_options.max_block_params = options.max_block_params;
  ASSIGN_OR_RETURN(s->registry_, ModelRegistry::Create(registry_options));
  RETURN_IF_ERROR(s->registry_->LoadAll());
  if (options.model_poll_s > 0) {
    s->store_poller_ = std::make_unique<StorePoller>(
        s->registry_.get(), absl::Seconds(options.model_poll_s));
  }

  Batcher::Options batcher_options;
  batcher_options.max_batch_points = options.max_batch_points;
  batcher_options.max_queue_delay = options.max_queue_delay;
  batcher_options.max_queue = options.max_queue;
  batcher_options.batching = options.batching;
  batcher_options.metrics = s->metrics_.get();
  ASSIGN_OR_RETURN(s->batcher_, Batcher::Create(batcher_options));
  s->executor_ = std::make_unique<Executor>(options.executor_threads);

  JobManager::Options job_options;
  job_options.job_dir = options.job_dir;
  job_options.data_dir = options.data_dir;
  job_options.device = device;
  job_options.registry = s->registry_.get();
  job_options.metrics = s->metrics_.get();
  job_options.max_queued_jobs = options.max_queued_jobs;
  job_options.max_job_restarts = options.max_job_restarts;
  job_options.max_block_params = options.max_block_params;
  job_options.model_dir = options.model_dir;
  job_options.max_store_bytes = options.max_store_bytes;
  job_options.keep_versions = options.keep_versions;
  job_options.max_uploads = options.max_uploads;
  ASSIGN_OR_RETURN(s->jobs_, JobManager::Create(job_options));

  ServingLimits limits;
  limits.max_samples_per_request = options.max_samples_per_request;
  limits.max_batch_points = options.max_batch_points;
  limits.max_message_bytes = options.max_message_bytes;
  limits.max_request_bytes = options.max_request_bytes;
  s->flow_service_ = std::make_unique<FlowService>(
      s->registry_.get(), s->batcher_.get(), s->executor_.get(),
      s->metrics_.get(), limits, &s->draining_);
  s->training_service_ = std::make_unique<TrainingService>(
      s->jobs_.get(), s->executor_.get(), s->metrics_.get(), &s->draining_,
      s->auth_.get(), options.upload_idle_timeout);
  s->inference_service_ = std::make_unique<InferenceService>(
      s->registry_.get(), s->batcher_.get(), s->metrics_.get(), limits,
      s->auth_.get(), &s->draining_);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, credentials, &port);
  // One limit both ways: Sample chunks are sized to fit it (request_budget.h).
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
  if (s->auth_ != nullptr) {
    s->authorized_flow_ = std::make_unique<AuthorizedFlowService>(
        s->flow_service_.get(), s->auth_.get(), s->metrics_.get());
    s->authorized_training_ = std::make_unique<AuthorizedTrainingService>(
        s->training_service_.get(), s->auth_.get(), s->metrics_.get());
    builder.RegisterService(s->authorized_flow_.get());
    builder.RegisterService(s->authorized_training_.get());
  } else {
    builder.RegisterService(s->flow_service_.get());
    builder.RegisterService(s->training_service_.get());
  }
  builder.RegisterService(s->inference_service_.get());  // checks auth itself
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("--listen: cannot listen on ", options.listen));
  }
  s->listen_address_ = absl::StrCat(HostOf(options.listen), ":", port);
  grpc::HealthCheckServiceInterface* health =
      s->server_->GetHealthCheckService();
  if (health != nullptr) {
    health->SetServingStatus(true);
    for (const char* name : kServiceNames) {
      health->SetServingStatus(name, true);
    }
  }
  Log(LogSeverity::kInfo,
      absl::StrCat("serving on ", s->listen_address_, " (device ", device.str(),
                   "), metrics on ", s->metrics_address_));
  return s;
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
  if (server_ != nullptr) {
    server_->Shutdown(absl::ToChronoTime(deadline));
    server_->Wait();
  }
  const bool jobs_stopped = jobs_ == nullptr || jobs_->Stop(deadline);
  exposer_stop.join();
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

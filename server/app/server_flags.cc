#include "server/app/server_flags.h"

#include <cstdint>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "base/host_port.h"
#include "base/program_flags.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "gRPC address host:port (port 0 picks a free port; the bound "
          "address is printed as 'listening on host:port')");
ABSL_FLAG(int32_t, port, -1,
          "when ≥ 0, replaces the port of --listen (0 picks a free port)");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9464",
          "Prometheus /metrics address host:port (port 0 picks a free port; "
          "printed as 'metrics on host:port')");
ABSL_FLAG(std::string, http_listen, "",
          "REST/JSON address host:port of the Open Inference Protocol "
          "(KServe v2: /v2/health/ready, /v2/models/{name}/infer, ...), with "
          "the same tokens, roles, TLS files and limits as the gRPC port; "
          "\"\" serves none (port 0 picks a free port; printed as 'http on "
          "host:port')");
ABSL_FLAG(int64_t, http_max_body_bytes, int64_t{64} << 20,
          "REST request bodies above this many bytes are refused (413)");
ABSL_FLAG(std::string, model_dir, "./var/models",
          "model store: <model_dir>/<name>/v<version>/");
ABSL_FLAG(std::string, job_dir, "./var/jobs",
          "training job state, one directory per job");
ABSL_FLAG(std::string, data_dir, "./var/data",
          "the only directory data_file paths of training jobs may name");
ABSL_FLAG(std::string, device, "cpu", "torch device: cpu, cuda or cuda:<n>");
ABSL_FLAG(int32_t, threads,
          static_cast<int32_t>(std::thread::hardware_concurrency()),
          "LibTorch intra-op and inter-op threads (default: number of cores)");
ABSL_FLAG(int64_t, max_batch_points, 65536,
          "most points the batcher runs through a model at once");
ABSL_FLAG(int64_t, max_queue_delay_us, 2000,
          "how long the oldest waiting request waits for others to batch "
          "with, in microseconds");
ABSL_FLAG(int64_t, max_queue, 256,
          "inference requests waiting before new ones get "
          "RESOURCE_EXHAUSTED");
ABSL_FLAG(bool, batching, true,
          "batch concurrent inference requests: Sample and exact "
          "LogLikelihood requests of one model that wait together run as one "
          "concatenated model call (a request's samples then equal its "
          "same-seed samples alone within float32 rounding, not bit for "
          "bit). --batching=false runs each request alone as soon as the "
          "worker is free, with no --max_queue_delay_us wait: the same "
          "seed gives the same bytes under any load");
ABSL_FLAG(int64_t, max_samples_per_request, 1000000,
          "most points one Sample or LogLikelihood request may ask for");
ABSL_FLAG(int64_t, max_message_bytes, int64_t{64} << 20,
          "largest gRPC message the server receives or sends, in bytes, "
          "[1024, 2^31 - 1]; a Sample's chunk_points is lowered so that each "
          "streamed chunk fits");
ABSL_FLAG(int64_t, max_request_bytes, int64_t{1} << 30,
          "memory one Sample or LogLikelihood request may need (noise, RK4 "
          "stages, divergence tangents or probes, outputs), estimated before "
          "anything is allocated; larger requests get RESOURCE_EXHAUSTED");
ABSL_FLAG(int64_t, max_queued_jobs, 64,
          "training jobs waiting to run before further CreateTrainingJob, "
          "UploadTrainingJob and TrainBlock calls get RESOURCE_EXHAUSTED");
ABSL_FLAG(int64_t, max_job_restarts, 2,
          "times a job found RUNNING after a crash is resumed; the next "
          "start marks it FAILED, so one job cannot crash-loop the server");
ABSL_FLAG(int64_t, max_block_params, int64_t{50} << 20,
          "parameters one block of a model may have; bigger training "
          "requests get INVALID_ARGUMENT and bigger stored models fail to "
          "load; 0: no limit");
ABSL_FLAG(int64_t, keep_versions, 0,
          "versions of a model name kept after a publish; older ones are "
          "removed from the store; 0 keeps all");
ABSL_FLAG(int64_t, model_poll_s, 0,
          "every this many seconds, rescan --model_dir: load the versions "
          "another process published (a training Job writing into a shared "
          "store) and drop removed ones; 0: never");
ABSL_FLAG(int64_t, max_uploads, 16,
          "UploadTrainingJob streams receiving points at once; further ones "
          "get RESOURCE_EXHAUSTED at their first message; 0: no limit");
ABSL_FLAG(absl::Duration, upload_idle_timeout, absl::Seconds(60),
          "an UploadTrainingJob stream that sends nothing for this long is "
          "ended with DEADLINE_EXCEEDED and creates no job; 0: never");
ABSL_FLAG(int64_t, max_store_bytes, 0,
          "bytes the model and job stores may hold before new training jobs "
          "get RESOURCE_EXHAUSTED; 0: no limit");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(30),
          "on SIGTERM/SIGINT, how long in-flight calls may take to finish");
ABSL_FLAG(std::string, auth_token_file, "",
          "bearer tokens, one 'TOKEN ROLE' per line (roles read < train < "
          "admin; '#' comments); must not be readable by group or others. "
          "Calls then need 'authorization: Bearer TOKEN' (health and "
          "reflection stay open). SIGHUP reloads the file. Empty: no auth");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain; with --tls_key the server speaks TLS only");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA certificates; clients must then present a certificate "
          "signed by one of them (mutual TLS)");

namespace jkoflow {

int ThreadsFromFlags() { return ThreadsOrCores(absl::GetFlag(FLAGS_threads)); }

absl::StatusOr<ServerOptions> ServerOptionsFromFlags() {
  ServerOptions o;
  o.listen = absl::GetFlag(FLAGS_listen);
  const int32_t port = absl::GetFlag(FLAGS_port);
  if (port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--port: must be in [0, 65535], got ", port));
  }
  if (port >= 0) {
    o.listen = absl::StrCat(HostPart(o.listen), ":", port);
  }
  o.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  o.http_listen = absl::GetFlag(FLAGS_http_listen);
  o.http_max_body_bytes = absl::GetFlag(FLAGS_http_max_body_bytes);
  o.model_dir = absl::GetFlag(FLAGS_model_dir);
  o.job_dir = absl::GetFlag(FLAGS_job_dir);
  o.data_dir = absl::GetFlag(FLAGS_data_dir);
  o.device = absl::GetFlag(FLAGS_device);
  o.max_batch_points = absl::GetFlag(FLAGS_max_batch_points);
  const int64_t delay_us = absl::GetFlag(FLAGS_max_queue_delay_us);
  if (delay_us < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_queue_delay_us: must be ≥ 0, got ", delay_us));
  }
  o.max_queue_delay = absl::Microseconds(delay_us);
  o.max_queue = absl::GetFlag(FLAGS_max_queue);
  o.batching = absl::GetFlag(FLAGS_batching);
  o.max_samples_per_request = absl::GetFlag(FLAGS_max_samples_per_request);
  o.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  o.max_request_bytes = absl::GetFlag(FLAGS_max_request_bytes);
  o.max_queued_jobs = absl::GetFlag(FLAGS_max_queued_jobs);
  o.max_job_restarts = absl::GetFlag(FLAGS_max_job_restarts);
  o.max_block_params = absl::GetFlag(FLAGS_max_block_params);
  o.keep_versions = absl::GetFlag(FLAGS_keep_versions);
  o.model_poll_s = absl::GetFlag(FLAGS_model_poll_s);
  o.max_store_bytes = absl::GetFlag(FLAGS_max_store_bytes);
  o.max_uploads = absl::GetFlag(FLAGS_max_uploads);
  o.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);
  o.upload_idle_timeout = absl::GetFlag(FLAGS_upload_idle_timeout);
  o.auth_token_file = absl::GetFlag(FLAGS_auth_token_file);
  o.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  o.tls_key = absl::GetFlag(FLAGS_tls_key);
  o.tls_client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  if (o.drain_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--drain_timeout: must be ≥ 0");
  }
  if (o.upload_idle_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--upload_idle_timeout: must be ≥ 0");
  }
  return o;
}

}  // namespace jkoflow

#ifndef JKOFLOW_SERVER_APP_SERVER_FLAGS_H_
#define JKOFLOW_SERVER_APP_SERVER_FLAGS_H_

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/app/server_options.h"

// The command-line flags of jkoflow-server (all listed by --help).
ABSL_DECLARE_FLAG(std::string, listen);
ABSL_DECLARE_FLAG(int32_t, port);
ABSL_DECLARE_FLAG(std::string, metrics_listen);
ABSL_DECLARE_FLAG(std::string, model_dir);
ABSL_DECLARE_FLAG(std::string, job_dir);
ABSL_DECLARE_FLAG(std::string, data_dir);
ABSL_DECLARE_FLAG(std::string, device);
ABSL_DECLARE_FLAG(int32_t, threads);
ABSL_DECLARE_FLAG(int64_t, max_batch_points);
ABSL_DECLARE_FLAG(int64_t, max_queue_delay_us);
ABSL_DECLARE_FLAG(int64_t, max_queue);
ABSL_DECLARE_FLAG(bool, batching);
ABSL_DECLARE_FLAG(int64_t, max_samples_per_request);
ABSL_DECLARE_FLAG(int64_t, max_message_bytes);
ABSL_DECLARE_FLAG(int64_t, max_request_bytes);
ABSL_DECLARE_FLAG(int64_t, max_queued_jobs);
ABSL_DECLARE_FLAG(int64_t, max_job_restarts);
ABSL_DECLARE_FLAG(int64_t, max_block_params);
ABSL_DECLARE_FLAG(int64_t, keep_versions);
ABSL_DECLARE_FLAG(int64_t, max_store_bytes);
ABSL_DECLARE_FLAG(int64_t, max_uploads);
ABSL_DECLARE_FLAG(absl::Duration, drain_timeout);
ABSL_DECLARE_FLAG(std::string, auth_token_file);
ABSL_DECLARE_FLAG(std::string, tls_cert);
ABSL_DECLARE_FLAG(std::string, tls_key);
ABSL_DECLARE_FLAG(std::string, tls_client_ca);

namespace jkoflow {

// ServerOptionsFromFlags() reads the flags; --port (when ≥ 0) replaces the
// port of --listen. INVALID_ARGUMENT names a flag out of range.
absl::StatusOr<ServerOptions> ServerOptionsFromFlags();

// ThreadsFromFlags() is --threads, or the number of cores when it is 0.
int ThreadsFromFlags();

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_APP_SERVER_FLAGS_H_

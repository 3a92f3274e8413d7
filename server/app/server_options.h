#ifndef JKOFLOW_SERVER_APP_SERVER_OPTIONS_H_
#define JKOFLOW_SERVER_APP_SERVER_OPTIONS_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace jkoflow {

// ServerOptions are the settings of one jkoflow server. The defaults are
// the embedded defaults of the binary: a server built from them needs no
// flags (see server_flags.h for their documentation).
struct ServerOptions {
  std::string listen = "127.0.0.1:50051";
  std::string metrics_listen = "127.0.0.1:9464";
  // The Open Inference Protocol over REST (server/http); "" serves none.
  std::string http_listen;
  int64_t http_max_body_bytes = int64_t{64} << 20;
  std::string model_dir = "./var/models";
  std::string job_dir = "./var/jobs";
  std::string data_dir = "./var/data";
  std::string device = "cpu";
  int64_t max_batch_points = 65536;
  absl::Duration max_queue_delay = absl::Microseconds(2000);
  int64_t max_queue = 256;
  bool batching = true;
  int64_t max_samples_per_request = 1000000;
  int64_t max_message_bytes = int64_t{64} << 20;
  int64_t max_request_bytes = int64_t{1} << 30;
  int64_t max_queued_jobs = 64;
  int64_t max_job_restarts = 2;
  int64_t max_block_params = int64_t{50} << 20;
  int64_t keep_versions = 0;    // 0 keeps every version
  int64_t model_poll_s = 0;     // store rescan period; 0: never
  int64_t max_store_bytes = 0;  // 0: no limit
  int64_t max_uploads = 16;     // 0: no limit
  absl::Duration upload_idle_timeout = absl::Seconds(60);  // 0: none
  absl::Duration drain_timeout = absl::Seconds(30);
  int executor_threads = 2;  // blocking RPC work (loads, uploads, job I/O)
  // Security (auth_policy.h, tls_credentials.h); empty = off.
  std::string auth_token_file;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_APP_SERVER_OPTIONS_H_

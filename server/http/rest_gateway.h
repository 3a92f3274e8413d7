#ifndef JKOFLOW_SERVER_HTTP_REST_GATEWAY_H_
#define JKOFLOW_SERVER_HTTP_REST_GATEWAY_H_

#include <grpcpp/channel.h>

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/auth/tls_credentials.h"

namespace httplib {
class Server;
}

namespace jkoflow {

// RestGateway serves the Open Inference Protocol's REST routes (KServe v2)
// on a port of its own:
//   GET  /v2/health/live, /v2/health/ready
//   GET  /v2                                     server metadata
//   GET  /v2/models/{name}[/versions/{v}]        model metadata
//   GET  /v2/models/{name}[/versions/{v}]/ready
//   POST /v2/models/{name}[/versions/{v}]/infer
// Each request becomes the inference.GRPCInferenceService call it stands
// for (oip_json.h), sent over `channel` — the server's own in-process
// channel — with the request's Authorization header as the call's
// metadata. The gRPC path does everything else (the auth door and roles,
// limits, batching, draining, request metrics), so REST and gRPC answers
// are the same; errors come back as {"error": message} with
// HttpStatusFor()'s status. Live and ready answer 200 when true and 400
// when false, as the protocol says. Thread-safe.
class RestGateway {
 public:
  struct Options {
    std::string listen;  // "host:port"; port 0 picks a free one
    // With tls_cert and tls_key: HTTPS; with tls_client_ca as well, only
    // clients whose certificate that CA signed.
    TlsFiles tls;
    // Bodies above this are refused with 413 before they are parsed.
    int64_t max_body_bytes = 64 << 20;
    // Deadline of each forwarded gRPC call.
    absl::Duration timeout = absl::Minutes(5);
  };

  // Start() binds and serves on a thread of its own. UNAVAILABLE when the
  // address cannot be bound; INVALID_ARGUMENT for a malformed address or
  // TLS files the server cannot use.
  static absl::StatusOr<std::unique_ptr<RestGateway>> Start(
      const Options& options, std::shared_ptr<grpc::Channel> channel);
  // The destructor calls Stop().
  ~RestGateway();
  RestGateway(const RestGateway&) = delete;
  RestGateway& operator=(const RestGateway&) = delete;

  // address() is "host:port" with the port actually bound.
  const std::string& address() const { return address_; }
  // Stop() stops accepting and waits for the serving thread. Idempotent.
  void Stop();

 private:
  RestGateway() = default;
  void AddRoutes(std::shared_ptr<grpc::Channel> channel,
                 absl::Duration timeout);

  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  std::string address_;
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_HTTP_REST_GATEWAY_H_

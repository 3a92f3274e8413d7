#ifndef JKOFLOW_SERVER_RPC_UNARY_CALL_H_
#define JKOFLOW_SERVER_RPC_UNARY_CALL_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/observability/metrics.h"
#include "server/rpc/status_map.h"

namespace jkoflow {

// UnaryCall finishes one unary RPC of the callback API exactly once: it
// maps the status with ToGrpcStatus() and records the request metrics.
// Create it in the handler and return reactor(); Finish() may be called on
// any thread, later (the handler may hand the call to an executor).
class UnaryCall {
 public:
  UnaryCall(grpc::CallbackServerContext* context, Metrics* metrics,
            absl::string_view method)
      : reactor_(context->DefaultReactor()), timer_(metrics, method) {}

  grpc::ServerUnaryReactor* reactor() const { return reactor_; }

  // Finish() completes the RPC; the response must be filled in first.
  void Finish(const absl::Status& status) {
    const grpc::Status grpc_status = ToGrpcStatus(status);
    timer_.Finish(grpc_status.error_code());
    reactor_->Finish(grpc_status);
  }

 private:
  grpc::ServerUnaryReactor* reactor_;
  RequestTimer timer_;
};

// DrainingError() is what every new call gets while the server drains.
inline absl::Status DrainingError() {
  return absl::UnavailableError("the server is shutting down; retry elsewhere");
}

// RefusedStream ends a streaming call (Base: a ServerWriteReactor or
// ServerReadReactor) with `status` before any message, counting it under
// `method`. Deletes itself when gRPC is done with it.
template <typename Base>
class RefusedStream final : public Base {
 public:
  RefusedStream(Metrics* metrics, absl::string_view method,
                const absl::Status& status) {
    const grpc::Status grpc_status = ToGrpcStatus(status);
    RequestTimer(metrics, method).Finish(grpc_status.error_code());
    this->Finish(grpc_status);
  }
  void OnDone() override { delete this; }
};

// CallDeadline() is the client's deadline for the call (InfiniteFuture when
// it set none).
inline absl::Time CallDeadline(const grpc::CallbackServerContext* context) {
  const auto deadline = context->deadline();
  return deadline == std::chrono::system_clock::time_point::max()
             ? absl::InfiniteFuture()
             : absl::FromChrono(deadline);
}

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_RPC_UNARY_CALL_H_

#ifndef JKOFLOW_SERVER_RPC_CALL_GATE_H_
#define JKOFLOW_SERVER_RPC_CALL_GATE_H_

#include <grpcpp/impl/codegen/server_callback_handlers.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/auth/auth_policy.h"
#include "server/observability/metrics.h"
#include "server/rpc/unary_call.h"

namespace jkoflow {

// CallGate is the server's one door: every call of every service built on
// GatedService passes Admit() before its handler runs. Admit() looks the
// method's role up by its full name (RequiredRole(), the one role table in
// server/auth/auth_policy.h) and checks the call's bearer token against
// it. Without an Authenticator every call is admitted. Borrows both;
// thread-safe.
class CallGate {
 public:
  CallGate(const Authenticator* auth, Metrics* metrics)
      : auth_(auth), metrics_(metrics) {}

  // Admit() is OK when the call may run `full_method`
  // ("/jkoflow.v1.FlowService/Sample"): UNAUTHENTICATED for a missing or
  // unknown token, PERMISSION_DENIED for a role below the method's.
  absl::Status Admit(const grpc::CallbackServerContext& context,
                     absl::string_view full_method) const {
    if (auth_ == nullptr) return absl::OkStatus();
    return auth_->Check(context, full_method);
  }

  Metrics* metrics() const { return metrics_; }

 private:
  const Authenticator* const auth_;
  Metrics* const metrics_;
};

// MethodIndex() is the index of `method` ("Sample") among the methods of
// the service `service` ("jkoflow.v1.FlowService") in its proto, the
// index its generated code registers it under; -1 when there is none.
int MethodIndex(absl::string_view service, absl::string_view method);

// CloseEveryMethod() calls mark(index, handler) for each method of the
// service `service_name` in its proto with a raw handler that ends the
// call with UNIMPLEMENTED (counted under the method's name), so that a
// method no GatedService::Open() put behind the gate fails closed.
void CloseEveryMethod(
    absl::string_view service_name, Metrics* metrics,
    const std::function<void(int, grpc::internal::MethodHandler*)>& mark);

// GatedService is the base of each of the server's services (Grpc: the
// generated service class, e.g. v1::FlowService, whose CallbackService it
// derives from). Its constructor closes every method; the
// service's own constructor then calls Open() once per method it
// implements, which puts the handler behind the CallGate: the call is
// admitted first, and refused calls end there (counted in the request
// metrics under the method's name) without reaching the handler.
template <typename Grpc>
class GatedService : public Grpc::CallbackService {
 protected:
  explicit GatedService(const CallGate* gate) : gate_(gate) {
    CloseEveryMethod(Grpc::service_full_name(), gate->metrics(),
                     [this](int index, grpc::internal::MethodHandler* h) {
                       this->MarkMethodRawCallback(index, h);
                     });
  }

  // Open() for a unary method.
  template <typename Self, typename Request, typename Response>
  void Open(absl::string_view method,
            grpc::ServerUnaryReactor* (Self::*handler)(
                grpc::CallbackServerContext*, const Request*, Response*)) {
    const std::string name(method), full = FullName(method);
    this->MarkMethodCallback(
        Index(method),
        new grpc::internal::CallbackUnaryHandler<Request, Response>(
            [this, handler, name, full](grpc::CallbackServerContext* context,
                                        const Request* request,
                                        Response* response) {
              const absl::Status admitted = gate_->Admit(*context, full);
              if (!admitted.ok()) {
                UnaryCall call(context, gate_->metrics(), name);
                call.Finish(admitted);
                return call.reactor();
              }
              return (static_cast<Self*>(this)->*handler)(context, request,
                                                          response);
            }));
  }

  // Open() for a server-streaming method.
  template <typename Self, typename Request, typename Response>
  void Open(absl::string_view method,
            grpc::ServerWriteReactor<Response>* (Self::*handler)(
                grpc::CallbackServerContext*, const Request*)) {
    using Reactor = grpc::ServerWriteReactor<Response>;
    const std::string name(method), full = FullName(method);
    this->MarkMethodCallback(
        Index(method),
        new grpc::internal::CallbackServerStreamingHandler<Request, Response>(
            [this, handler, name, full](grpc::CallbackServerContext* context,
                                        const Request* request) -> Reactor* {
              const absl::Status admitted = gate_->Admit(*context, full);
              if (!admitted.ok()) {
                return new RefusedStream<Reactor>(gate_->metrics(), name,
                                                  admitted);
              }
              return (static_cast<Self*>(this)->*handler)(context, request);
            }));
  }

  // Open() for a client-streaming method.
  template <typename Self, typename Request, typename Response>
  void Open(absl::string_view method,
            grpc::ServerReadReactor<Request>* (Self::*handler)(
                grpc::CallbackServerContext*, Response*)) {
    using Reactor = grpc::ServerReadReactor<Request>;
    const std::string name(method), full = FullName(method);
    this->MarkMethodCallback(
        Index(method),
        new grpc::internal::CallbackClientStreamingHandler<Request, Response>(
            [this, handler, name, full](grpc::CallbackServerContext* context,
                                        Response* response) -> Reactor* {
              const absl::Status admitted = gate_->Admit(*context, full);
              if (!admitted.ok()) {
                return new RefusedStream<Reactor>(gate_->metrics(), name,
                                                  admitted);
              }
              return (static_cast<Self*>(this)->*handler)(context, response);
            }));
  }

 private:
  static std::string FullName(absl::string_view method) {
    return "/" + std::string(Grpc::service_full_name()) + "/" +
           std::string(method);
  }
  // Index() is the method's index; a name not in the proto is a bug of
  // the service's constructor, found by every test that starts a server.
  static int Index(absl::string_view method) {
    const int index = MethodIndex(Grpc::service_full_name(), method);
    GPR_ASSERT(index >= 0);
    return index;
  }

  const CallGate* const gate_;
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_RPC_CALL_GATE_H_

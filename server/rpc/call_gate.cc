#include "server/rpc/call_gate.h"

#include <google/protobuf/descriptor.h>

#include "absl/strings/str_cat.h"

namespace jkoflow {
namespace {

using grpc::ByteBuffer;

const google::protobuf::ServiceDescriptor* FindService(
    absl::string_view service) {
  return google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      std::string(service));
}

// ClosedHandler() is the raw handler of a method that nothing opened.
grpc::internal::MethodHandler* ClosedHandler(
    const google::protobuf::MethodDescriptor& method, Metrics* metrics) {
  const std::string name = method.name();
  const absl::Status closed = absl::UnimplementedError(
      absl::StrCat(method.full_name(), ": no handler behind the gate"));
  if (method.client_streaming() && method.server_streaming()) {
    using Reactor = grpc::ServerBidiReactor<ByteBuffer, ByteBuffer>;
    return new grpc::internal::CallbackBidiHandler<ByteBuffer, ByteBuffer>(
        [metrics, name, closed](grpc::CallbackServerContext*) -> Reactor* {
          return new RefusedStream<Reactor>(metrics, name, closed);
        });
  }
  if (method.client_streaming()) {
    using Reactor = grpc::ServerReadReactor<ByteBuffer>;
    return new grpc::internal::CallbackClientStreamingHandler<ByteBuffer,
                                                              ByteBuffer>(
        [metrics, name, closed](grpc::CallbackServerContext*,
                                ByteBuffer*) -> Reactor* {
          return new RefusedStream<Reactor>(metrics, name, closed);
        });
  }
  if (method.server_streaming()) {
    using Reactor = grpc::ServerWriteReactor<ByteBuffer>;
    return new grpc::internal::CallbackServerStreamingHandler<ByteBuffer,
                                                              ByteBuffer>(
        [metrics, name, closed](grpc::CallbackServerContext*,
                                const ByteBuffer*) -> Reactor* {
          return new RefusedStream<Reactor>(metrics, name, closed);
        });
  }
  return new grpc::internal::CallbackUnaryHandler<ByteBuffer, ByteBuffer>(
      [metrics, name, closed](grpc::CallbackServerContext* context,
                              const ByteBuffer*, ByteBuffer*) {
        UnaryCall call(context, metrics, name);
        call.Finish(closed);
        return call.reactor();
      });
}

}  // namespace

int MethodIndex(absl::string_view service, absl::string_view method) {
  const google::protobuf::ServiceDescriptor* descriptor = FindService(service);
  if (descriptor == nullptr) return -1;
  const google::protobuf::MethodDescriptor* found =
      descriptor->FindMethodByName(std::string(method));
  return found == nullptr ? -1 : found->index();
}

void CloseEveryMethod(
    absl::string_view service_name, Metrics* metrics,
    const std::function<void(int, grpc::internal::MethodHandler*)>& mark) {
  const google::protobuf::ServiceDescriptor* service =
      FindService(service_name);
  GPR_ASSERT(service != nullptr);
  for (int i = 0; i < service->method_count(); ++i) {
    mark(i, ClosedHandler(*service->method(i), metrics));
  }
}

}  // namespace jkoflow

#ifndef JKOFLOW_CLIENT_STATUS_MAP_H_
#define JKOFLOW_CLIENT_STATUS_MAP_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace jkoflow {

// FromGrpcStatus() is the client's single translation of an RPC outcome into
// an absl::Status. Each gRPC code maps to the absl code of the same name (an
// out-of-range code becomes kUnknown); the message is kept and prefixed with
// the gRPC code name, e.g. "UNAVAILABLE: failed to connect to all addresses",
// so that it still names the wire code when only the message is shown.
// An OK status maps to absl::OkStatus().
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_STATUS_MAP_H_

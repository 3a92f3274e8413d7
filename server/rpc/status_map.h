#ifndef JKOFLOW_SERVER_RPC_STATUS_MAP_H_
#define JKOFLOW_SERVER_RPC_STATUS_MAP_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace jkoflow {

// ToGrpcStatus() is the one place where an absl::Status becomes a gRPC
// status. The code is carried over unchanged (absl and gRPC share the
// canonical codes), so a caller's mistake that lower layers report as
// INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, RESOURCE_EXHAUSTED,
// DEADLINE_EXCEEDED, CANCELLED or UNAVAILABLE reaches the client as such.
// DATA_LOSS from the model store (a corrupt file on the server) becomes
// FAILED_PRECONDITION: the model is not ready, which is what the client can
// act on. A code outside the canonical range becomes UNKNOWN. The message is
// kept; an empty message on an error gets the code's name.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_RPC_STATUS_MAP_H_

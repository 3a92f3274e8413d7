#include "server/rpc/status_map.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace jkoflow {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const int raw = static_cast<int>(status.code());
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  if (raw > 0 && raw <= static_cast<int>(grpc::StatusCode::UNAUTHENTICATED)) {
    code = static_cast<grpc::StatusCode>(raw);
  }
  if (code == grpc::StatusCode::DATA_LOSS) {
    code = grpc::StatusCode::FAILED_PRECONDITION;
  }
  std::string message(status.message());
  if (message.empty()) message = absl::StatusCodeToString(status.code());
  return grpc::Status(code, message);
}

}  // namespace jkoflow

#include "client/status_map.h"

#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"

namespace jkoflow {
namespace {

struct CodeEntry {
  absl::StatusCode code;
  const char* name;  // the gRPC spelling
};

// Indexed by grpc::StatusCode (0..16, fixed by the gRPC specification).
constexpr CodeEntry kCodes[] = {
    {absl::StatusCode::kOk, "OK"},
    {absl::StatusCode::kCancelled, "CANCELLED"},
    {absl::StatusCode::kUnknown, "UNKNOWN"},
    {absl::StatusCode::kInvalidArgument, "INVALID_ARGUMENT"},
    {absl::StatusCode::kDeadlineExceeded, "DEADLINE_EXCEEDED"},
    {absl::StatusCode::kNotFound, "NOT_FOUND"},
    {absl::StatusCode::kAlreadyExists, "ALREADY_EXISTS"},
    {absl::StatusCode::kPermissionDenied, "PERMISSION_DENIED"},
    {absl::StatusCode::kResourceExhausted, "RESOURCE_EXHAUSTED"},
    {absl::StatusCode::kFailedPrecondition, "FAILED_PRECONDITION"},
    {absl::StatusCode::kAborted, "ABORTED"},
    {absl::StatusCode::kOutOfRange, "OUT_OF_RANGE"},
    {absl::StatusCode::kUnimplemented, "UNIMPLEMENTED"},
    {absl::StatusCode::kInternal, "INTERNAL"},
    {absl::StatusCode::kUnavailable, "UNAVAILABLE"},
    {absl::StatusCode::kDataLoss, "DATA_LOSS"},
    {absl::StatusCode::kUnauthenticated, "UNAUTHENTICATED"},
};

}  // namespace

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  const int index = static_cast<int>(status.error_code());
  absl::StatusCode code = absl::StatusCode::kUnknown;
  std::string name = absl::StrCat("UNKNOWN (gRPC code ", index, ")");
  if (index > 0 && index < static_cast<int>(std::size(kCodes))) {
    code = kCodes[index].code;
    name = kCodes[index].name;
  }
  const std::string& message = status.error_message();
  if (message.empty()) return absl::Status(code, name);
  return absl::Status(code, absl::StrCat(name, ": ", message));
}

}  // namespace jkoflow

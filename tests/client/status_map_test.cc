#include "client/status_map.h"

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace jkoflow {
namespace {

struct Case {
  grpc::StatusCode grpc_code;
  absl::StatusCode absl_code;
  const char* name;
};

class FromGrpcStatusTest : public testing::TestWithParam<Case> {};

TEST_P(FromGrpcStatusTest, MapsCodeAndKeepsMessageAfterCodeName) {
  const Case& c = GetParam();
  const absl::Status status =
      FromGrpcStatus(grpc::Status(c.grpc_code, "model 'x': not loaded"));
  EXPECT_EQ(status.code(), c.absl_code);
  EXPECT_EQ(status.message(), std::string(c.name) + ": model 'x': not loaded");
}

TEST_P(FromGrpcStatusTest, EmptyMessageIsTheCodeName) {
  const Case& c = GetParam();
  const absl::Status status = FromGrpcStatus(grpc::Status(c.grpc_code, ""));
  EXPECT_EQ(status.code(), c.absl_code);
  EXPECT_EQ(status.message(), c.name);
}

INSTANTIATE_TEST_SUITE_P(
    AllCodes, FromGrpcStatusTest,
    testing::Values(
        Case{grpc::StatusCode::CANCELLED, absl::StatusCode::kCancelled,
             "CANCELLED"},
        Case{grpc::StatusCode::UNKNOWN, absl::StatusCode::kUnknown, "UNKNOWN"},
        Case{grpc::StatusCode::INVALID_ARGUMENT,
             absl::StatusCode::kInvalidArgument, "INVALID_ARGUMENT"},
        Case{grpc::StatusCode::DEADLINE_EXCEEDED,
             absl::StatusCode::kDeadlineExceeded, "DEADLINE_EXCEEDED"},
        Case{grpc::StatusCode::NOT_FOUND, absl::StatusCode::kNotFound,
             "NOT_FOUND"},
        Case{grpc::StatusCode::ALREADY_EXISTS, absl::StatusCode::kAlreadyExists,
             "ALREADY_EXISTS"},
        Case{grpc::StatusCode::PERMISSION_DENIED,
             absl::StatusCode::kPermissionDenied, "PERMISSION_DENIED"},
        Case{grpc::StatusCode::RESOURCE_EXHAUSTED,
             absl::StatusCode::kResourceExhausted, "RESOURCE_EXHAUSTED"},
        Case{grpc::StatusCode::FAILED_PRECONDITION,
             absl::StatusCode::kFailedPrecondition, "FAILED_PRECONDITION"},
        Case{grpc::StatusCode::ABORTED, absl::StatusCode::kAborted, "ABORTED"},
        Case{grpc::StatusCode::OUT_OF_RANGE, absl::StatusCode::kOutOfRange,
             "OUT_OF_RANGE"},
        Case{grpc::StatusCode::UNIMPLEMENTED, absl::StatusCode::kUnimplemented,
             "UNIMPLEMENTED"},
        Case{grpc::StatusCode::INTERNAL, absl::StatusCode::kInternal,
             "INTERNAL"},
        Case{grpc::StatusCode::UNAVAILABLE, absl::StatusCode::kUnavailable,
             "UNAVAILABLE"},
        Case{grpc::StatusCode::DATA_LOSS, absl::StatusCode::kDataLoss,
             "DATA_LOSS"},
        Case{grpc::StatusCode::UNAUTHENTICATED,
             absl::StatusCode::kUnauthenticated, "UNAUTHENTICATED"}),
    [](const testing::TestParamInfo<Case>& info) {
      return std::string(info.param.name);
    });

TEST(FromGrpcStatusOkTest, OkIsOk) {
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

TEST(FromGrpcStatusOkTest, OutOfRangeCodeIsUnknownAndNamesTheNumber) {
  // 20 names no code but lies inside grpc::StatusCode's range of values
  // (-32..31), so building the Status is defined behaviour (UBSan checks).
  const absl::Status status =
      FromGrpcStatus(grpc::Status(static_cast<grpc::StatusCode>(20), "odd"));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(status.message(), "UNKNOWN (gRPC code 20): odd");
}

}  // namespace
}  // namespace jkoflow

#include "server/rpc/status_map.h"

#include <gtest/gtest.h>

namespace jkoflow {
namespace {

TEST(StatusMapTest, OkIsOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

TEST(StatusMapTest, CallerMistakesKeepTheirCodeAndMessage) {
  const struct {
    absl::Status in;
    grpc::StatusCode out;
  } cases[] = {
      {absl::InvalidArgumentError("points.cols: expected 2, got 3"),
       grpc::StatusCode::INVALID_ARGUMENT},
      {absl::NotFoundError("model x: unknown"), grpc::StatusCode::NOT_FOUND},
      {absl::FailedPreconditionError("not loaded"),
       grpc::StatusCode::FAILED_PRECONDITION},
      {absl::ResourceExhaustedError("queue full"),
       grpc::StatusCode::RESOURCE_EXHAUSTED},
      {absl::DeadlineExceededError("late"),
       grpc::StatusCode::DEADLINE_EXCEEDED},
      {absl::CancelledError("gone"), grpc::StatusCode::CANCELLED},
      {absl::UnavailableError("draining"), grpc::StatusCode::UNAVAILABLE},
      {absl::PermissionDeniedError("no"), grpc::StatusCode::PERMISSION_DENIED},
      {absl::UnauthenticatedError("who"), grpc::StatusCode::UNAUTHENTICATED},
      {absl::InternalError("bug"), grpc::StatusCode::INTERNAL},
  };
  for (const auto& c : cases) {
    const grpc::Status s = ToGrpcStatus(c.in);
    EXPECT_EQ(s.error_code(), c.out) << c.in;
    EXPECT_EQ(s.error_message(), std::string(c.in.message()));
  }
}

TEST(StatusMapTest, CorruptModelIsNotReadyRatherThanDataLoss) {
  const grpc::Status s =
      ToGrpcStatus(absl::DataLossError("block_000.weights: checksum"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(), "block_000.weights: checksum");
}

TEST(StatusMapTest, EmptyMessageGetsTheCodeName) {
  const grpc::Status s =
      ToGrpcStatus(absl::Status(absl::StatusCode::kAborted, ""));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_FALSE(s.error_message().empty());
}

TEST(StatusMapTest, OutOfRangeCodeIsUnknown) {
  const grpc::Status s =
      ToGrpcStatus(absl::Status(static_cast<absl::StatusCode>(99), "odd"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNKNOWN);
}

}  // namespace
}  // namespace jkoflow

#include "core/torch_status.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <new>
#include <stdexcept>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"

namespace jkoflow {
namespace {

TEST(TorchStatusTest, LibTorchErrorsBecomeInternalWithoutBacktrace) {
  absl::StatusOr<int> result =
      GuardTorch("Somewhere", []() -> absl::StatusOr<int> {
        // A shape mismatch makes LibTorch throw c10::Error.
        at::matmul(at::zeros({2, 3}), at::zeros({2, 3}));
        return 1;
      });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInternal);
  const absl::string_view message = result.status().message();
  EXPECT_TRUE(absl::StartsWith(message, "Somewhere: libtorch: ")) << message;
  EXPECT_FALSE(absl::StrContains(message, "Exception raised from"))
      << "no backtrace: " << message;
}

TEST(TorchStatusTest, EveryOtherExceptionHasItsCode) {
  EXPECT_EQ(GuardTorch([]() -> absl::Status { throw std::bad_alloc(); }).code(),
            absl::StatusCode::kResourceExhausted);
  const absl::Status runtime =
      GuardTorch([]() -> absl::Status { throw std::runtime_error("boom"); });
  EXPECT_EQ(runtime.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(runtime.message(), "boom");
  const absl::Status unknown =
      GuardTorch("Here", []() -> absl::Status { throw 42; });
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(unknown.message(), "Here: unknown exception");
  EXPECT_TRUE(GuardTorch([] { return absl::OkStatus(); }).ok());
}

}  // namespace
}  // namespace jkoflow

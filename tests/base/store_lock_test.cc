#include "base/store_lock.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/integration/scratch_dir.h"

namespace jkoflow {
namespace {

TEST(StoreLockTest, OneHolderAtATimeAndTheOtherIsToldWho) {
  integration::ScratchDir dir("store_lock");
  absl::StatusOr<std::unique_ptr<StoreLock>> first =
      StoreLock::Acquire(dir.path());
  ASSERT_TRUE(first.ok()) << first.status();
  const absl::StatusOr<std::unique_ptr<StoreLock>> second =
      StoreLock::Acquire(dir.path());
  ASSERT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(second.status().message(),
                                absl::StrCat("pid ", getpid())))
      << second.status();
  EXPECT_TRUE(absl::StrContains(second.status().message(), "only one process"));

  // Another process is refused too, and gets the lock once it is free.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(StoreLock::Acquire(dir.path()).ok() ? 0 : 3);
  int wait_status = 0;
  ASSERT_EQ(waitpid(child, &wait_status, 0), child);
  EXPECT_EQ(WEXITSTATUS(wait_status), 3);

  first = std::unique_ptr<StoreLock>();
  EXPECT_TRUE(StoreLock::Acquire(dir.path()).ok());
}

TEST(StoreLockTest, AMissingStoreIsUnavailable) {
  EXPECT_EQ(StoreLock::Acquire("/nonexistent/jkoflow/store").status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace jkoflow

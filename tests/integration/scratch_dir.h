#ifndef JKOFLOW_TESTS_INTEGRATION_SCRATCH_DIR_H_
#define JKOFLOW_TESTS_INTEGRATION_SCRATCH_DIR_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"

namespace jkoflow {
namespace integration {

// ScratchDir is a fresh directory under the test temp dir, removed with
// everything in it when the object goes out of scope, unless the test failed
// (then it is kept, and its path is in the log, for the server's output).
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name) {
    static std::atomic<int> counter{0};
    path_ = (std::filesystem::path(::testing::TempDir()) /
             absl::StrCat("jkoflow_it_", name, "_", getpid(), "_", counter++))
                .string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    const ::testing::TestInfo* test =
        ::testing::UnitTest::GetInstance()->current_test_info();
    if (test != nullptr && test->result()->Failed()) {
      std::cerr << "keeping " << path_ << " for inspection\n";
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const {
    return (std::filesystem::path(path_) / name).string();
  }

 private:
  std::string path_;
};

}  // namespace integration
}  // namespace jkoflow

#endif  // JKOFLOW_TESTS_INTEGRATION_SCRATCH_DIR_H_

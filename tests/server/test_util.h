#ifndef JKOFLOW_TESTS_SERVER_TEST_UTIL_H_
#define JKOFLOW_TESTS_SERVER_TEST_UTIL_H_

// Helpers shared by the server tests: scratch directories and tiny models.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/flow_model.h"
#include "core/jko_block.h"

namespace jkoflow {
namespace testing_util {

// ScratchDir is a fresh directory under the test temp dir, removed (with
// everything in it) when the object goes out of scope.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name) {
    static std::atomic<int> counter{0};
    path_ = (std::filesystem::path(::testing::TempDir()) /
             absl::StrCat("jkoflow_", name, "_", getpid(), "_", counter++))
                .string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const {
    return (std::filesystem::path(path_) / name).string();
  }

 private:
  std::string path_;
};

// TinyModel() is an untrained model of `blocks` blocks (width 16, depth 2,
// 2 RK4 steps) with weights drawn from `seed`.
inline FlowModel TinyModel(int64_t dim, int blocks, uint64_t seed) {
  FlowModel model(dim);
  for (int k = 0; k < blocks; ++k) {
    JkoBlockConfig config;
    config.h = 0.25 * (k + 1);
    config.steps = 2;
    config.field = VelocityFieldOptions(dim).width(16).depth(2);
    absl::StatusOr<JkoBlock> block = JkoBlock::Create(config, seed + k);
    EXPECT_TRUE(block.ok()) << block.status();
    BlockStats stats;
    stats.loss = 1.0 + k;
    EXPECT_TRUE(model.AppendBlock(*block, stats).ok());
  }
  Provenance provenance;
  provenance.dataset = "8gaussians?n=500&seed=1";
  provenance.seed = seed;
  model.set_provenance(provenance);
  return model;
}

}  // namespace testing_util
}  // namespace jkoflow

#endif  // JKOFLOW_TESTS_SERVER_TEST_UTIL_H_

#include "core/compute_setup.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <cfloat>
#include <thread>

namespace jkoflow {
namespace {

// A product whose exact value is a denormal float (below FLT_MIN).
float DenormalProduct() {
  const at::Tensor a = at::full({4}, 1e-20f);
  const at::Tensor b = at::full({4}, 1e-20f);
  return (a * b).max().item<float>();
}

TEST(ComputeSetupTest, SetsThreadsAndFlushesDenormalsOnThisThread) {
  ASSERT_GT(DenormalProduct(), 0.0f);  // 1e-40: representable as a denormal
  SetUpCompute(2);
  EXPECT_EQ(at::get_num_threads(), 2);
  EXPECT_EQ(DenormalProduct(), 0.0f);
  // Normal numbers are untouched.
  EXPECT_EQ((at::full({1}, FLT_MIN) * 2).item<float>(), 2 * FLT_MIN);
}

TEST(ComputeSetupTest, ThreadsStartedLaterInheritTheFlush) {
  SetUpCompute(1);
  float seen = -1;
  std::thread later([&seen] { seen = DenormalProduct(); });
  later.join();
  EXPECT_EQ(seen, 0.0f);
  EXPECT_EQ(at::get_num_threads(), 1);
}

TEST(ComputeSetupTest, AZeroOrNegativeCountMeansOneThread) {
  SetUpCompute(0);
  EXPECT_EQ(at::get_num_threads(), 1);
}

}  // namespace
}  // namespace jkoflow

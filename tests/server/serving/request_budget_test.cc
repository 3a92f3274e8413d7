#include "server/serving/request_budget.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace jkoflow {
namespace {

RequestBudget SmallMessages() {
  RequestBudget budget;
  budget.max_message_bytes = 64 * 1024;
  return budget;
}

TEST(RequestBudgetTest, LowersChunkPointsToFitTheMessageLimit) {
  const FlowModel model(600);
  const RequestBudget budget = SmallMessages();
  ASSERT_EQ(SampleChunkBytesPerPoint(model, /*trajectory=*/false), 2400);
  const absl::StatusOr<int64_t> chunk =
      FitSampleChunk(1000000, model, /*trajectory=*/false, budget);
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_GE(*chunk, 1);
  // 27 points: 64,800 bytes of floats plus framing stay below 65,536.
  EXPECT_EQ(*chunk, 27);
  EXPECT_LE(*chunk * 2400 + 100, budget.max_message_bytes);
}

TEST(RequestBudgetTest, TrajectoryStagesCountInTheChunk) {
  const FlowModel model(600);  // no blocks: one stage (the noise)
  EXPECT_EQ(SampleChunkBytesPerPoint(model, /*trajectory=*/true), 4800);
  const absl::StatusOr<int64_t> chunk =
      FitSampleChunk(1000000, model, /*trajectory=*/true, SmallMessages());
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_EQ(*chunk, 13);
}

TEST(RequestBudgetTest, KeepsASmallChunk) {
  const absl::StatusOr<int64_t> chunk =
      FitSampleChunk(10, FlowModel(2), /*trajectory=*/false, SmallMessages());
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_EQ(*chunk, 10);
}

TEST(RequestBudgetTest, RefusesAPointLargerThanAMessage) {
  const absl::StatusOr<int64_t> chunk = FitSampleChunk(
      1, FlowModel(20000), /*trajectory=*/false, SmallMessages());
  EXPECT_EQ(chunk.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      absl::StrContains(chunk.status().message(), "--max_message_bytes"))
      << chunk.status();
}

TEST(RequestBudgetTest, AMillion600DimensionalSamplesExceedOneGiB) {
  const FlowModel model(600);
  const RequestBudget budget;  // 1 GiB
  // The noise alone is 1,000,000 × 600 × 4 = 2.4 GB.
  const double bytes =
      SampleRequestBytes(1000000, 27, model, /*trajectory=*/false, budget);
  EXPECT_GE(bytes, 2.4e9);
  const absl::Status s = CheckRequestBytes(bytes, "Sample", budget);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(s.message(), "--max_request_bytes")) << s;
  EXPECT_TRUE(
      CheckRequestBytes(SampleRequestBytes(1000, 1000, model, false, budget),
                        "Sample", budget)
          .ok());
}

TEST(RequestBudgetTest, LogLikelihoodGrowsWithProbesAndExactDimension) {
  const FlowModel model(50);
  const RequestBudget budget;
  const double one = LogLikelihoodRequestBytes(1000, model, true, 1, budget);
  const double many = LogLikelihoodRequestBytes(1000, model, true, 100, budget);
  const double exact = LogLikelihoodRequestBytes(1000, model, false, 1, budget);
  EXPECT_GT(many, 10 * one);
  EXPECT_GT(exact, one);
  EXPECT_GE(one, 1000.0 * 50 * 4);  // at least the points themselves
}

}  // namespace
}  // namespace jkoflow

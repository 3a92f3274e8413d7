#include "core/row_chunks.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "core/flow_model.h"
#include "core/jko_block.h"

namespace jkoflow {
namespace {

FlowModel TwoBlockFlow() {
  FlowModel model(2, torch::kCPU);
  for (int k = 0; k < 2; ++k) {
    JkoBlockConfig config;
    config.field = VelocityFieldOptions(2).width(32);
    absl::StatusOr<JkoBlock> block = JkoBlock::Create(config, 40 + k);
    EXPECT_TRUE(block.ok());
    EXPECT_TRUE(model.AppendBlock(*block, BlockStats()).ok());
  }
  return model;
}

TEST(RowSplitTest, FixedChunksEndWithTheRemainder) {
  const RowSplit split(1000, 256);
  ASSERT_EQ(split.count(), 4);
  EXPECT_EQ(split.first_row(3), 768);
  EXPECT_EQ(split.rows_in(0), 256);
  EXPECT_EQ(split.rows_in(3), 232);
  torch::Tensor x = torch::arange(1000, torch::kFloat32);
  EXPECT_EQ(split.Rows(x, 3)[0].item<float>(), 768.0f);
  EXPECT_EQ(RowSplit(0, 256).count(), 1);
  EXPECT_EQ(RowSplit(0, 256).rows_in(0), 0);
}

TEST(RowSplitTest, BalancedGivesEveryThreadTheSameRows) {
  // ⌈1600 / 512⌉ = 4 chunks, already a multiple of 2 threads: 4 × 400.
  const RowSplit even = RowSplit::Balanced(1600, 512, 2);
  EXPECT_EQ(even.count(), 4);
  EXPECT_EQ(even.rows_in(3), 400);
  // ⌈1600 / 512⌉ = 4 rounded up to 6 for 3 threads: 5 × 267 + 265.
  const RowSplit three = RowSplit::Balanced(1600, 512, 3);
  EXPECT_EQ(three.count(), 6);
  EXPECT_EQ(three.rows_in(0), 267);
  EXPECT_EQ(three.rows_in(5), 1600 - 5 * 267);
  // Never more chunks than rows.
  EXPECT_EQ(RowSplit::Balanced(3, 1, 8).count(), 3);
  EXPECT_EQ(RowSplit::Balanced(100, 512, 1).count(), 1);
}

TEST(RowSplitTest, ReduceRunsInChunkOrder) {
  const std::string folded = ReduceInChunkOrder(
      std::vector<std::string>{"a", "b", "c", "d"},
      [](std::string sum, const std::string& part) { return sum + part; });
  EXPECT_EQ(folded, "abcd");
}

TEST(RowSplitTest, ForEachRowChunkRunsEveryChunkWithTheCallersGradMode) {
  at::set_num_threads(2);
  for (const bool grad : {false, true}) {
    at::AutoGradMode mode(grad);
    std::vector<int> seen(9, 0);
    std::atomic<int> wrong_mode{0};
    ForEachRowChunk(9, [&](int64_t c) {
      seen[c] += 1;
      if (at::GradMode::is_enabled() != grad) wrong_mode++;
    });
    EXPECT_EQ(seen, std::vector<int>(9, 1));
    EXPECT_EQ(wrong_mode.load(), 0);
  }
}

TEST(MapRowChunksTest, ConcatenatesEveryOutputInRowOrder) {
  at::set_num_threads(2);
  torch::Tensor x = torch::arange(1000, torch::kFloat32).view({500, 2});
  int calls = 0;
  std::atomic<int> atomic_calls{0};
  absl::StatusOr<std::vector<torch::Tensor>> out = MapRowChunks(
      {x, x.select(1, 0)}, 64, nullptr,
      [&](const std::vector<torch::Tensor>& rows, const StopCheck&) {
        atomic_calls++;
        return absl::StatusOr<std::vector<torch::Tensor>>(
            std::vector<torch::Tensor>{rows[0] * 2, rows[1] + 1});
      });
  calls = atomic_calls.load();
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(calls, 8);  // ⌈500 / 64⌉, already a multiple of 2 threads
  EXPECT_TRUE(torch::equal((*out)[0], x * 2));
  EXPECT_TRUE(torch::equal((*out)[1], x.select(1, 0) + 1));
}

TEST(MapRowChunksTest, ReportsTheFailingChunksErrorNotTheEchoes) {
  at::set_num_threads(2);  // ten chunks of 100 rows
  torch::Tensor x = torch::zeros({1000, 2});
  absl::StatusOr<std::vector<torch::Tensor>> out = MapRowChunks(
      {x}, 100, nullptr,
      [&](const std::vector<torch::Tensor>& rows,
          const StopCheck& stop) -> absl::StatusOr<std::vector<torch::Tensor>> {
        if (rows[0].data_ptr<float>() == x.data_ptr<float>() + 2 * 500) {
          return absl::InvalidArgumentError("chunk 5 is bad");
        }
        for (int i = 0; i < 1000; ++i) {
          absl::Status status = stop();
          if (!status.ok()) return status;
        }
        return std::vector<torch::Tensor>{rows[0]};
      });
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out.status().message(), "chunk 5 is bad");
}

TEST(MapRowChunksTest, StopCheckIsSerialisedAndItsErrorReturned) {
  at::set_num_threads(2);
  torch::Tensor x = torch::zeros({4000, 2});
  int inside = 0;  // guarded by MapRowChunks' serialisation, not by us
  int max_inside = 0;
  int checks = 0;
  absl::StatusOr<std::vector<torch::Tensor>> out = MapRowChunks(
      {x}, 100,
      [&]() -> absl::Status {
        ++inside;
        max_inside = std::max(max_inside, inside);
        const int n = ++checks;
        --inside;
        return n >= 30 ? absl::DeadlineExceededError("late") : absl::OkStatus();
      },
      [&](const std::vector<torch::Tensor>& rows,
          const StopCheck& stop) -> absl::StatusOr<std::vector<torch::Tensor>> {
        for (int i = 0; i < 5; ++i) {
          absl::Status status = stop();
          if (!status.ok()) return status;
        }
        return std::vector<torch::Tensor>{rows[0]};
      });
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(max_inside, 1);
}

TEST(MapRowChunksTest, SplitsEvenlyOverTheThreads) {
  at::set_num_threads(2);
  std::vector<int64_t> sizes;
  std::mutex mu;
  absl::StatusOr<std::vector<torch::Tensor>> out = MapRowChunks(
      {torch::zeros({1600, 2})}, 512, nullptr,
      [&](const std::vector<torch::Tensor>& rows, const StopCheck&) {
        std::lock_guard<std::mutex> lock(mu);
        sizes.push_back(rows[0].size(0));
        return absl::StatusOr<std::vector<torch::Tensor>>(rows);
      });
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(sizes, std::vector<int64_t>({400, 400, 400, 400}));
}

TEST(MapRowChunksTest, RejectsRaggedInputs) {
  absl::StatusOr<std::vector<torch::Tensor>> out = MapRowChunks(
      {torch::zeros({10, 2}), torch::zeros({9})}, 4, nullptr,
      [](const std::vector<torch::Tensor>& rows, const StopCheck&) {
        return absl::StatusOr<std::vector<torch::Tensor>>(rows);
      });
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
}

// The chunked paths of FlowModel agree with one whole-batch solve, chunk by
// chunk, within float32 rounding.
TEST(MapRowChunksTest, ChunkedFlowMatchesPerChunkSolves) {
  at::set_num_threads(2);
  FlowModel model = TwoBlockFlow();
  const int64_t n = 3 * kInferenceChunkRows + 17;
  absl::StatusOr<torch::Tensor> noise = model.Noise(n, 5);
  ASSERT_TRUE(noise.ok());
  absl::StatusOr<torch::Tensor> samples = model.MapToData(*noise);
  ASSERT_TRUE(samples.ok());
  DivergenceOptions exact;
  absl::StatusOr<torch::Tensor> logp = model.LogProb(*samples, exact);
  ASSERT_TRUE(logp.ok());
  for (int64_t first = 0; first < n; first += kInferenceChunkRows) {
    const int64_t rows = std::min(kInferenceChunkRows, n - first);
    absl::StatusOr<torch::Tensor> part =
        model.MapToData(noise->narrow(0, first, rows));
    ASSERT_TRUE(part.ok());
    EXPECT_LT(
        (*part - samples->narrow(0, first, rows)).abs().max().item<double>(),
        1e-5);
    absl::StatusOr<torch::Tensor> part_logp =
        model.LogProb(samples->narrow(0, first, rows), exact);
    ASSERT_TRUE(part_logp.ok());
    EXPECT_LT(
        (*part_logp - logp->narrow(0, first, rows)).abs().max().item<double>(),
        1e-4);
  }
  // Hutchinson probes are drawn for the whole batch first, so the chunked
  // estimate is reproducible for a seed.
  DivergenceOptions hutchinson{DivergenceMethod::kHutchinson, 2,
                               ProbeDistribution::kRademacher};
  absl::StatusOr<torch::Tensor> a = model.LogProb(*samples, hutchinson, 9);
  absl::StatusOr<torch::Tensor> b = model.LogProb(*samples, hutchinson, 9);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(torch::equal(*a, *b));
  EXPECT_LT((*a - *logp).abs().mean().item<double>(), 1.0);
}

}  // namespace
}  // namespace jkoflow

#include "core/process_group_collective.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "core/progressive_trainer.h"
#include "tests/core/run_ranks.h"

namespace jkoflow {
namespace {

TEST(ShareOfRowsTest, SharesAreConsecutiveCoverEveryRowAndDifferByOne) {
  for (int64_t rows : {0, 1, 2, 7, 1000, 1001}) {
    for (int world : {1, 2, 3, 8}) {
      int64_t next = 0, smallest = rows, largest = 0;
      for (int r = 0; r < world; ++r) {
        const RankRows share = ShareOfRows(rows, r, world);
        EXPECT_EQ(share.begin, next) << rows << " rows, rank " << r;
        next += share.count;
        smallest = std::min(smallest, share.count);
        largest = std::max(largest, share.count);
      }
      EXPECT_EQ(next, rows);
      EXPECT_LE(largest - smallest, 1);
    }
  }
}

TEST(RendezvousTest, ParsesHostPortAndRefusesTheRest) {
  RendezvousOptions o;
  ASSERT_TRUE(ParseRendezvous("10.0.0.7:29500", o).ok());
  EXPECT_EQ(o.host, "10.0.0.7");
  EXPECT_EQ(o.port, 29500);
  ASSERT_TRUE(ParseRendezvous("[::1]:5", o).ok());
  EXPECT_EQ(o.host, "::1");
  ASSERT_TRUE(ParseRendezvous("trainer-0.trainer:1234", o).ok());
  EXPECT_EQ(o.host, "trainer-0.trainer");
  for (const char* bad : {"host", ":12", "h:0", "h:70000", "h:x", ""}) {
    EXPECT_EQ(ParseRendezvous(bad, o).code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  RendezvousOptions wrong_rank;
  wrong_rank.world_size = 2;
  wrong_rank.rank = 2;
  EXPECT_EQ(ValidateRendezvousOptions(wrong_rank).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ProcessGroupCollectiveTest, ReducesBroadcastsAndGathersAcrossRanks) {
  RunRanks(3, [](int rank, Collective& c) {
    EXPECT_EQ(c.rank(), rank);
    EXPECT_EQ(c.world_size(), 3);
    torch::Tensor sum = torch::tensor({rank + 1.0f, 2.0f});
    ASSERT_TRUE(c.AllReduceSum(sum).ok());
    EXPECT_TRUE(torch::equal(sum, torch::tensor({6.0f, 6.0f})));

    torch::Tensor value =
        torch::full({2}, static_cast<double>(rank), torch::kFloat64);
    ASSERT_TRUE(c.Broadcast(value, /*root=*/2).ok());
    EXPECT_TRUE(torch::equal(value, torch::full({2}, 2.0, torch::kFloat64)));

    // 7 rows over 3 ranks: shares of 3, 2 and 2 rows.
    const torch::Tensor all = torch::arange(14, torch::kFloat32).view({7, 2});
    const RankRows share = ShareOfRows(7, rank, 3);
    absl::StatusOr<torch::Tensor> gathered =
        c.AllGatherRows(all.narrow(0, share.begin, share.count), 7);
    ASSERT_TRUE(gathered.ok()) << gathered.status();
    EXPECT_TRUE(torch::equal(*gathered, all));

    EXPECT_EQ(c.Times().all_reduce_calls, 1);
  });
}

TEST(ProcessGroupCollectiveTest, ALoneRankFailsWithinTheTimeout) {
  absl::StatusOr<int> port = integration::FreeLoopbackPort();
  ASSERT_TRUE(port.ok()) << port.status();
  RendezvousOptions o;
  o.world_size = 2;
  o.port = *port;
  o.timeout = std::chrono::seconds(2);
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<Collective>> collective =
      ConnectProcessGroup(o);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  EXPECT_EQ(collective.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(seconds, 10.0);
}

// Data parallel training, two ranks on threads of this process, against
// one trainer with the same global batch.

torch::Tensor Data(int64_t dim) {
  at::Generator gen = at::detail::createCPUGenerator(5);
  return 0.5 + 0.7 * at::randn({3000, dim}, gen, torch::kFloat32);
}

TrainerOptions SmallOptions(int64_t dim) {
  TrainerOptions options;
  options.max_blocks = 2;
  options.iterations_per_block = 25;
  options.batch_size = 301;  // uneven shares
  options.field = VelocityFieldOptions(dim).width(16).depth(2);
  options.stats_points = 500;
  options.diagnostic_points = 0;
  options.plateau.eval_every = 10;  // the held-out loss is reduced too
  options.stop_tolerance = 0;
  options.seed = 3;
  return options;
}

struct TrainedRun {
  std::vector<double> losses;
  std::unique_ptr<FlowModel> model;
  absl::Status status;
};

TrainedRun Train(const TrainerOptions& options, const torch::Tensor& data,
                 std::shared_ptr<Collective> collective,
                 const CancelCheck& cancel = nullptr) {
  TrainedRun run;
  auto trainer = ProgressiveTrainer::Create(options, data, collective);
  if (!trainer.ok()) {
    run.status = trainer.status();
    return run;
  }
  run.model = std::make_unique<FlowModel>((*trainer)->NewModel("test"));
  run.status = (*trainer)->Train(
      *run.model,
      [&run](const IterationProgress& p) { run.losses.push_back(p.loss); },
      cancel);
  return run;
}

// The loss curves agree to float32 reduction order: the ranks sum their
// shares in another order than one process sums the batch. Measured: a
// relative difference of at most ~5e-7 over 50 iterations.
constexpr double kLossRelativeTolerance = 1e-5;

void ExpectDataParallelMatchesOneProcess(int64_t dim) {
  const TrainerOptions options = SmallOptions(dim);
  const torch::Tensor data = Data(dim);
  const TrainedRun single = Train(options, data, nullptr);
  ASSERT_TRUE(single.status.ok()) << single.status;
  std::vector<TrainedRun> ranks(2);
  RunRanks(2, [&](int rank, Collective& c) {
    // Not owned: the collective outlives the trainer inside Train().
    std::shared_ptr<Collective> shared(&c, [](Collective*) {});
    ranks[rank] = Train(options, data, shared);
  });
  for (const TrainedRun& run : ranks) {
    ASSERT_TRUE(run.status.ok()) << run.status;
    ASSERT_EQ(run.losses.size(), single.losses.size());
    for (size_t i = 0; i < run.losses.size(); ++i) {
      EXPECT_NEAR(run.losses[i], single.losses[i],
                  kLossRelativeTolerance * std::abs(single.losses[i]))
          << "iteration " << i + 1;
    }
  }
  const FlowModel& a = *ranks[0].model;
  const FlowModel& b = *ranks[1].model;
  ASSERT_EQ(a.num_blocks(), 2);
  ASSERT_EQ(b.num_blocks(), 2);
  for (int64_t k = 0; k < 2; ++k) {
    EXPECT_EQ(a.block(k).config().h, b.block(k).config().h);
    EXPECT_EQ(a.stats(k).relative_movement, b.stats(k).relative_movement);
    const auto pa = a.block(k).field()->parameters();
    const auto pb = b.block(k).field()->parameters();
    for (size_t i = 0; i < pa.size(); ++i) {
      EXPECT_TRUE(torch::equal(pa[i], pb[i])) << "block " << k;
    }
  }
}

TEST(DataParallelTrainerTest, TwoRanksFollowOneProcessExactDivergence) {
  ExpectDataParallelMatchesOneProcess(2);
}

TEST(DataParallelTrainerTest, TwoRanksFollowOneProcessHutchinsonProbes) {
  ExpectDataParallelMatchesOneProcess(4);
}

TEST(DataParallelTrainerTest, OneRankCancellingStopsBoth) {
  TrainerOptions options = SmallOptions(2);
  options.iterations_per_block = 200;
  const torch::Tensor data = Data(2);
  std::vector<TrainedRun> ranks(2);
  RunRanks(2, [&](int rank, Collective& c) {
    std::shared_ptr<Collective> shared(&c, [](Collective*) {});
    int polls = 0;
    // Only rank 1 is asked to stop, at its 5th iteration.
    ranks[rank] =
        Train(options, data, shared, [&] { return rank == 1 && ++polls >= 5; });
  });
  for (const TrainedRun& run : ranks) {
    EXPECT_EQ(run.status.code(), absl::StatusCode::kCancelled) << run.status;
    EXPECT_EQ(run.losses.size(), 4u);
  }
}

TEST(DataParallelTrainerTest, RefusesABatchSmallerThanTheRanks) {
  RunRanks(2, [&](int, Collective& c) {
    std::shared_ptr<Collective> shared(&c, [](Collective*) {});
    TrainerOptions options = SmallOptions(2);
    options.batch_size = 1;
    const TrainedRun run = Train(options, Data(2), shared);
    EXPECT_EQ(run.status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(run.status.message(), "ranks"));
  });
}

}  // namespace
}  // namespace jkoflow

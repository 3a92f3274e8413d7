#include "core/data_parallel.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "tests/core/run_ranks.h"

namespace jkoflow {
namespace {

JkoBlock SmallBlock() {
  JkoBlockConfig config;
  config.h = 0.5;
  config.field = VelocityFieldOptions(3).width(8).depth(2);
  absl::StatusOr<JkoBlock> block = JkoBlock::Create(config, /*seed=*/4);
  EXPECT_TRUE(block.ok()) << block.status();
  return *block;
}

torch::Tensor Rows(int64_t n) {
  at::Generator gen = at::detail::createCPUGenerator(9);
  return at::randn({n, 3}, gen, torch::kFloat32);
}

DivergenceOptions Probes(int64_t probes) {
  DivergenceOptions d;
  d.method = DivergenceMethod::kHutchinson;
  d.probes = probes;
  return d;
}

// The map every rank applies to its rows.
absl::StatusOr<torch::Tensor> Double(const torch::Tensor& rows) {
  return rows * 2;
}

TEST(DataParallelTest, OneProcessPassesStraightThrough) {
  const std::unique_ptr<Parallelism> one = SingleProcess();
  EXPECT_TRUE(one->IsRoot());
  EXPECT_TRUE(one->CancelsAtOnce());
  EXPECT_EQ(one->Share(7).begin, 0);
  EXPECT_EQ(one->Share(7).count, 7);
  torch::Tensor values = torch::tensor({1.0, 2.0});
  ASSERT_TRUE(one->Sum(values).ok());
  EXPECT_TRUE(torch::equal(values, torch::tensor({1.0, 2.0})));

  // ShareLoss() is the block's loss of the indexed batch.
  JkoBlock block = SmallBlock();
  const torch::Tensor source = Rows(50);
  const torch::Tensor index = torch::arange(10, 40, torch::kLong);
  at::Generator a = at::detail::createCPUGenerator(1);
  at::Generator b = at::detail::createCPUGenerator(1);
  absl::StatusOr<LossTerms> shared =
      one->ShareLoss(block, source, index, Probes(2), a);
  absl::StatusOr<LossTerms> direct =
      block.Loss(source.index_select(0, index), Probes(2), b);
  ASSERT_TRUE(shared.ok() && direct.ok());
  EXPECT_TRUE(torch::equal(shared->total, direct->total));

  absl::StatusOr<torch::Tensor> mapped = one->MapRows(source, Double);
  ASSERT_TRUE(mapped.ok());
  EXPECT_TRUE(torch::equal(*mapped, source * 2));
  absl::StatusOr<SummedStep> step =
      one->SumStep(block, *direct, /*cancel_vote=*/true);
  ASSERT_TRUE(step.ok());
  EXPECT_TRUE(step->cancelled);
  EXPECT_TRUE(torch::equal(step->terms.total, direct->total));
}

TEST(DataParallelTest, NoCollectiveOrOneRankIsOneProcess) {
  EXPECT_TRUE(DataParallel(nullptr)->CancelsAtOnce());
  RunRanks(1, [](int, Collective& c) {
    std::shared_ptr<Collective> shared(&c, [](Collective*) {});
    const std::unique_ptr<Parallelism> p = DataParallel(shared);
    EXPECT_TRUE(p->CancelsAtOnce());
    EXPECT_EQ(p->Share(9).count, 9);
  });
}

TEST(DataParallelTest, TwoRanksAddUpToOneProcess) {
  const JkoBlock block = SmallBlock();
  const torch::Tensor source = Rows(61);  // uneven shares: 31 and 30 rows
  at::Generator gen = at::detail::createCPUGenerator(2);
  const absl::StatusOr<LossTerms> whole =
      SingleProcess()->ShareLoss(block, source, {}, Probes(3), gen);
  ASSERT_TRUE(whole.ok());
  std::vector<double> totals(2);
  RunRanks(2, [&](int rank, Collective& c) {
    std::shared_ptr<Collective> shared(&c, [](Collective*) {});
    const std::unique_ptr<Parallelism> p = DataParallel(shared);
    EXPECT_EQ(p->IsRoot(), rank == 0);
    EXPECT_FALSE(p->CancelsAtOnce());
    EXPECT_EQ(p->Share(61).count, rank == 0 ? 31 : 30);
    // Each rank draws the whole batch's probes from the same state and
    // keeps its rows' share; the weighted shares sum to the batch mean.
    at::Generator same = at::detail::createCPUGenerator(2);
    absl::StatusOr<LossTerms> share =
        p->ShareLoss(block, source, {}, Probes(3), same);
    ASSERT_TRUE(share.ok()) << share.status();
    absl::StatusOr<LossTerms> summed = p->SumTerms(*share);
    ASSERT_TRUE(summed.ok()) << summed.status();
    totals[rank] = summed->total.item<double>();

    absl::StatusOr<torch::Tensor> mapped = p->MapRows(source, Double);
    ASSERT_TRUE(mapped.ok()) << mapped.status();
    EXPECT_TRUE(torch::equal(*mapped, source * 2));

    BlockStats stats;
    stats.movement = 10.0 + rank;
    ASSERT_TRUE(p->AgreeOnStats(stats, torch::kCPU).ok());
    EXPECT_EQ(stats.movement, 10.0);
  });
  for (double total : totals) {
    EXPECT_NEAR(total, whole->total.item<double>(),
                1e-5 * std::abs(whole->total.item<double>()));
  }
}

}  // namespace
}  // namespace jkoflow

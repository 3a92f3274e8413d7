#include "core/training_run.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace jkoflow {
namespace {

torch::Tensor Data() {
  at::Generator gen = at::detail::createCPUGenerator(3);
  return 1.0 + 0.5 * at::randn({2000, 2}, gen, torch::kFloat32);
}

TrainerOptions SmallOptions() {
  TrainerOptions options;
  options.max_blocks = 3;
  options.iterations_per_block = 15;
  options.batch_size = 256;
  options.field = VelocityFieldOptions(2).width(16).depth(2);
  options.stats_points = 500;
  options.diagnostic_points = 0;
  options.stop_tolerance = 0;
  options.validation_gate = false;  // every block is kept
  options.seed = 7;
  return options;
}

// MemorySink keeps checkpoints and the published model in memory, and
// records what the pipeline told it.
class MemorySink : public TrainingRunSink {
 public:
  absl::StatusOr<std::optional<ResumePoint>> Resume() override {
    if (!checkpoint.has_value()) return std::optional<ResumePoint>();
    return std::optional<ResumePoint>(ResumePoint{*checkpoint, done});
  }
  absl::Status Started(const FlowModel& model, const torch::Tensor&) override {
    started_blocks = model.num_blocks();
    return absl::OkStatus();
  }
  void Progress(const IterationProgress& p, int64_t blocks_done) override {
    progress_blocks.push_back(blocks_done);
    ++iterations;
  }
  bool Stop() override { return iterations >= stop_after; }
  absl::Status BlockDone(const FlowModel& model, int64_t blocks_done) override {
    checkpoint = model;
    done = blocks_done;
    block_done_calls.push_back(blocks_done);
    return absl::OkStatus();
  }
  absl::Status Publish(const FlowModel& model) override {
    published = model;
    return absl::OkStatus();
  }

  std::optional<FlowModel> checkpoint, published;
  int64_t done = 0, started_blocks = -1, iterations = 0;
  int64_t stop_after = 1 << 30;
  std::vector<int64_t> progress_blocks, block_done_calls;
};

TEST(TrainingRunTest, TrainsCheckpointsEachBlockAndPublishes) {
  TrainingRunSpec spec;
  spec.options = SmallOptions();
  spec.data = Data();
  spec.dataset_label = "gaussian";
  spec.owner = "owner-1";
  MemorySink sink;
  auto model = RunTraining(spec, sink);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->num_blocks(), 3);
  EXPECT_EQ(sink.started_blocks, 0);
  EXPECT_EQ(sink.block_done_calls, (std::vector<int64_t>{1, 2, 3}));
  ASSERT_TRUE(sink.published.has_value());
  EXPECT_EQ(sink.published->num_blocks(), 3);
  EXPECT_EQ(model->provenance().dataset, "gaussian");
  EXPECT_EQ(model->provenance().owner, "owner-1");
  // Progress counts the blocks done before each iteration's block.
  EXPECT_EQ(sink.progress_blocks.front(), 0);
  EXPECT_EQ(sink.progress_blocks.back(), 2);
}

TEST(TrainingRunTest, ResumesFromTheCheckpointAndGivesTheSameModel) {
  TrainingRunSpec spec;
  spec.options = SmallOptions();
  spec.data = Data();
  MemorySink whole;
  auto straight = RunTraining(spec, whole);
  ASSERT_TRUE(straight.ok()) << straight.status();

  // A run cancelled inside block 2 keeps block 1's checkpoint...
  MemorySink interrupted;
  interrupted.stop_after = 20;
  EXPECT_FALSE(RunTraining(spec, interrupted).ok());
  EXPECT_EQ(interrupted.done, 1);
  EXPECT_FALSE(interrupted.published.has_value());
  // ...and the next run resumes there and trains blocks 2 and 3 only.
  interrupted.stop_after = 1 << 30;
  interrupted.block_done_calls.clear();
  auto resumed = RunTraining(spec, interrupted);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(interrupted.started_blocks, 1);
  EXPECT_EQ(interrupted.block_done_calls, (std::vector<int64_t>{2, 3}));
  ASSERT_EQ(resumed->num_blocks(), 3);
  for (int64_t k = 0; k < 3; ++k) {
    auto a = straight->block(k).field()->parameters();
    auto b = resumed->block(k).field()->parameters();
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_TRUE(torch::equal(a[i], b[i])) << "block " << k + 1;
    }
  }
}

TEST(TrainingRunTest, AddsBlocksToABaseModelUpToBlocksTotal) {
  TrainingRunSpec first;
  first.options = SmallOptions();
  first.options.max_blocks = 1;
  first.data = Data();
  MemorySink sink;
  auto base = RunTraining(first, sink);
  ASSERT_TRUE(base.ok());

  TrainingRunSpec more;
  more.options = SmallOptions();
  more.data = Data();
  more.base = *base;
  more.blocks_total = 1;
  MemorySink extend;
  auto extended = RunTraining(more, extend);
  ASSERT_TRUE(extended.ok()) << extended.status();
  EXPECT_EQ(extend.started_blocks, 1);
  EXPECT_EQ(extended->num_blocks(), 2);
  EXPECT_EQ(extend.block_done_calls, (std::vector<int64_t>{1}));
}

}  // namespace
}  // namespace jkoflow

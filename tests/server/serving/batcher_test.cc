#include "server/serving/batcher.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <iostream>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "tests/server/test_util.h"

namespace jkoflow {
namespace {

using testing_util::TinyModel;

// Result collects one item's outcome.
struct Result {
  absl::Notification done;
  absl::StatusOr<BatchOutput> output = absl::UnknownError("not run");
};

BatchItem SampleItem(std::shared_ptr<const FlowModel> model, int64_t n,
                     uint64_t seed, Result* result) {
  BatchItem item;
  item.kind = BatchKind::kSample;
  item.model = model;
  item.model_name = "tiny";
  item.points = n;
  item.input = [model, n, seed] { return model->Noise(n, seed); };
  item.done = [result](absl::StatusOr<BatchOutput> output) {
    result->output = std::move(output);
    result->done.Notify();
  };
  return item;
}

// Histogram() reads histogram `name` ("jkoflow_batch_points" or
// "jkoflow_batch_items") from the metrics; empty (count 0) if absent.
prometheus::ClientMetric::Histogram Histogram(const Metrics& metrics,
                                              const std::string& name) {
  for (const auto& family : metrics.registry()->Collect()) {
    if (family.name == name) return family.metric.at(0).histogram;
  }
  return {};
}

// BatchCount() reads the number of executed batches from the metrics.
double BatchCount(const Metrics& metrics) {
  for (const auto& family : metrics.registry()->Collect()) {
    if (family.name == "jkoflow_batch_points") {
      return static_cast<double>(family.metric.at(0).histogram.sample_count);
    }
  }
  return -1;
}

// MaxAbsDiff() is max |a - b| over the elements of two same-shape tensors.
double MaxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

std::unique_ptr<Batcher> NewBatcher(Metrics* metrics, int64_t max_points,
                                    absl::Duration delay,
                                    int64_t max_queue = 16,
                                    bool batching = true) {
  Batcher::Options options;
  options.max_batch_points = max_points;
  options.max_queue_delay = delay;
  options.max_queue = max_queue;
  options.batching = batching;
  options.metrics = metrics;
  absl::StatusOr<std::unique_ptr<Batcher>> b = Batcher::Create(options);
  EXPECT_TRUE(b.ok()) << b.status();
  return *std::move(b);
}

TEST(BatcherTest, BatchedSamplesAreConcatenatedWithinRounding) {
  auto model = std::make_shared<const FlowModel>(TinyModel(2, 2, 3));
  Metrics metrics;
  // The batch is due once 5 + 7 points wait; the delay is long enough that
  // both items are there by then.
  std::unique_ptr<Batcher> batcher = NewBatcher(&metrics, 12, absl::Seconds(5));
  Result a, b;
  ASSERT_TRUE(batcher->Submit(SampleItem(model, 5, 1, &a)).ok());
  ASSERT_TRUE(batcher->Submit(SampleItem(model, 7, 2, &b)).ok());
  ASSERT_TRUE(a.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(b.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(a.output.ok()) << a.output.status();
  ASSERT_TRUE(b.output.ok()) << b.output.status();
  // One batch of both items, run as one 12-row model call.
  EXPECT_EQ(BatchCount(metrics), 1);
  EXPECT_EQ(Histogram(metrics, "jkoflow_batch_items").sample_sum, 2);
  // Each request's rows are its own seed's samples; sharing the 12-row
  // products changes float32 rounding only (tolerance 1e-5 absolute).
  EXPECT_EQ(a.output->values.sizes(), (std::vector<int64_t>{5, 2}));
  const double diff_a = MaxAbsDiff(a.output->values, *model->Sample(5, 1));
  const double diff_b = MaxAbsDiff(b.output->values, *model->Sample(7, 2));
  std::cout << "max abs difference batched vs alone: " << diff_a << ", "
            << diff_b << "\n";
  EXPECT_LE(diff_a, 1e-5);
  EXPECT_LE(diff_b, 1e-5);

  // A request evaluated alone is the unbatched sample of its seed, bit for
  // bit (tolerance 0), and so is the same request again.
  std::unique_ptr<Batcher> quiet =
      NewBatcher(nullptr, 12, absl::ZeroDuration());
  Result alone, again;
  ASSERT_TRUE(quiet->Submit(SampleItem(model, 5, 1, &alone)).ok());
  ASSERT_TRUE(alone.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(quiet->Submit(SampleItem(model, 5, 1, &again)).ok());
  ASSERT_TRUE(again.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(alone.output.ok() && again.output.ok());
  EXPECT_TRUE(torch::equal(alone.output->values, *model->Sample(5, 1)));
  EXPECT_TRUE(torch::equal(again.output->values, alone.output->values));
}

TEST(BatcherTest, BatchingOffRunsEachItemAloneWithoutWaiting) {
  auto model = std::make_shared<const FlowModel>(TinyModel(2, 2, 3));
  Metrics metrics;
  // With batching, three items of 5 + 7 + 4 < 1000 points would wait the
  // 30 s delay and then share one batch.
  std::unique_ptr<Batcher> batcher =
      NewBatcher(&metrics, 1000, absl::Seconds(30), 16, /*batching=*/false);
  Result r[3];
  const int64_t points[3] = {5, 7, 4};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        batcher->Submit(SampleItem(model, points[i], i + 1, &r[i])).ok());
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(r[i].done.WaitForNotificationWithTimeout(absl::Seconds(10)))
        << "item " << i << " waited for a batch";
    ASSERT_TRUE(r[i].output.ok()) << r[i].output.status();
    // Alone: bit for bit the unbatched sample of its seed.
    EXPECT_TRUE(
        torch::equal(r[i].output->values, *model->Sample(points[i], i + 1)))
        << "item " << i;
  }
  const prometheus::ClientMetric::Histogram items =
      Histogram(metrics, "jkoflow_batch_items");
  const prometheus::ClientMetric::Histogram rows =
      Histogram(metrics, "jkoflow_batch_points");
  EXPECT_EQ(items.sample_count, 3u);
  EXPECT_EQ(items.sample_sum, 3);  // one item per batch
  EXPECT_EQ(rows.sample_sum, 5 + 7 + 4);
  // No batch above 7 points (the largest item): the cumulative bucket at
  // 16 holds every batch, the one at 4 only the 4-point item.
  ASSERT_GE(rows.bucket.size(), 3u);
  EXPECT_EQ(rows.bucket[1].upper_bound, 4);
  EXPECT_EQ(rows.bucket[1].cumulative_count, 1u);
  EXPECT_EQ(rows.bucket[2].upper_bound, 16);
  EXPECT_EQ(rows.bucket[2].cumulative_count, 3u);
}

TEST(BatcherTest, LikelihoodRequestsShareOneModelCall) {
  auto model = std::make_shared<const FlowModel>(TinyModel(2, 2, 3));
  Metrics metrics;
  std::unique_ptr<Batcher> batcher = NewBatcher(&metrics, 12, absl::Seconds(5));
  const torch::Tensor x = *model->Sample(12, 4);
  Result a, b;
  for (auto [result, offset, rows] :
       {std::tuple{&a, 0, 5}, std::tuple{&b, 5, 7}}) {
    BatchItem item = SampleItem(model, rows, 0, result);
    item.kind = BatchKind::kLogLikelihood;
    item.input = [x, offset = offset,
                  rows = rows]() -> absl::StatusOr<torch::Tensor> {
      return x.narrow(0, offset, rows);
    };
    ASSERT_TRUE(batcher->Submit(std::move(item)).ok());
  }
  ASSERT_TRUE(a.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(b.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(a.output.ok() && b.output.ok());
  EXPECT_EQ(BatchCount(metrics), 1);
  const torch::Tensor expected = *model->LogProb(x);
  ASSERT_EQ(a.output->values.sizes(), (std::vector<int64_t>{5}));
  ASSERT_EQ(b.output->values.sizes(), (std::vector<int64_t>{7}));
  // Concatenated rows may differ from a 12-row call in the last bits only.
  EXPECT_TRUE(torch::allclose(torch::cat({a.output->values, b.output->values}),
                              expected, /*rtol=*/1e-5, /*atol=*/1e-5));
}

TEST(BatcherTest, DifferentModelsAndKindsDoNotShareABatch) {
  auto m1 = std::make_shared<const FlowModel>(TinyModel(2, 1, 3));
  auto m2 = std::make_shared<const FlowModel>(TinyModel(2, 1, 4));
  Metrics metrics;
  std::unique_ptr<Batcher> batcher =
      NewBatcher(&metrics, 1000, absl::Milliseconds(20));
  Result a, b, c;
  ASSERT_TRUE(batcher->Submit(SampleItem(m1, 3, 1, &a)).ok());
  ASSERT_TRUE(batcher->Submit(SampleItem(m2, 3, 1, &b)).ok());
  BatchItem loglik = SampleItem(m1, 4, 9, &c);
  loglik.kind = BatchKind::kLogLikelihood;
  ASSERT_TRUE(batcher->Submit(std::move(loglik)).ok());
  for (Result* r : {&a, &b, &c}) {
    ASSERT_TRUE(r->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
    ASSERT_TRUE(r->output.ok()) << r->output.status();
  }
  EXPECT_EQ(BatchCount(metrics), 3);
  EXPECT_TRUE(torch::equal(a.output->values, *m1->Sample(3, 1)));
  EXPECT_TRUE(torch::equal(b.output->values, *m2->Sample(3, 1)));
  // Exact log-likelihood of the 4 noise points under m1: [4] values.
  const torch::Tensor expected = *m1->LogProb(*m1->Noise(4, 9));
  EXPECT_TRUE(torch::allclose(c.output->values, expected, 1e-5, 1e-5));
}

TEST(BatcherTest, TrajectoryHasEveryStage) {
  auto model = std::make_shared<const FlowModel>(TinyModel(2, 3, 3));
  std::unique_ptr<Batcher> batcher =
      NewBatcher(nullptr, 1000, absl::ZeroDuration());
  Result r;
  BatchItem item = SampleItem(model, 6, 5, &r);
  item.kind = BatchKind::kSampleTrajectory;
  ASSERT_TRUE(batcher->Submit(std::move(item)).ok());
  ASSERT_TRUE(r.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(r.output.ok());
  ASSERT_EQ(r.output->stages.size(), 4u);
  const std::vector<torch::Tensor> expected = *model->SampleTrajectory(6, 5);
  for (size_t s = 0; s < expected.size(); ++s) {
    EXPECT_TRUE(torch::equal(r.output->stages[s], expected[s])) << s;
  }
  EXPECT_TRUE(torch::equal(r.output->values, expected.back()));
}

TEST(BatcherTest, FullQueueIsResourceExhausted) {
  auto model = std::make_shared<const FlowModel>(TinyModel(2, 1, 3));
  // The first item waits (long delay, batch not full) and fills the queue.
  std::unique_ptr<Batcher> batcher =
      NewBatcher(nullptr, 1000, absl::Seconds(1), /*max_queue=*/1);
  Result a, b, c;
  ASSERT_TRUE(batcher->Submit(SampleItem(model, 2, 1, &a)).ok());
  const absl::Status refused = batcher->Submit(SampleItem(model, 2, 2, &b));
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  EXPECT_FALSE(b.done.HasBeenNotified());
  // The next part of an admitted request is never refused.
  EXPECT_TRUE(
      batcher->Submit(SampleItem(model, 2, 3, &c), /*continuation=*/true).ok());
  ASSERT_TRUE(a.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(c.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_TRUE(a.output.ok());
  EXPECT_TRUE(c.output.ok());
}

TEST(BatcherTest, ExpiredRequestFailsAndTheOthersContinue) {
  auto model = std::make_shared<const FlowModel>(TinyModel(2, 2, 3));
  Metrics metrics;
  std::unique_ptr<Batcher> batcher = NewBatcher(&metrics, 9, absl::Seconds(5));
  Result late, fine;
  BatchItem expired = SampleItem(model, 4, 1, &late);
  expired.deadline = absl::Now() - absl::Seconds(1);
  ASSERT_TRUE(batcher->Submit(std::move(expired)).ok());
  ASSERT_TRUE(batcher->Submit(SampleItem(model, 5, 2, &fine)).ok());
  ASSERT_TRUE(late.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(fine.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(late.output.status().code(), absl::StatusCode::kDeadlineExceeded);
  ASSERT_TRUE(fine.output.ok()) << fine.output.status();
  EXPECT_TRUE(torch::equal(fine.output->values, *model->Sample(5, 2)));
}

TEST(BatcherTest, RequestThatExpiresMidBatchStopsAloneBetweenSteps) {
  auto model = std::make_shared<const FlowModel>(TinyModel(2, 3, 3));
  std::unique_ptr<Batcher> batcher = NewBatcher(nullptr, 9, absl::Seconds(5));
  Result gone, fine;
  // cancelled() is polled once when the batch forms and then between RK4
  // steps: report the caller gone from the third poll on.
  auto polls = std::make_shared<std::atomic<int>>(0);
  BatchItem cancelled = SampleItem(model, 4, 1, &gone);
  cancelled.cancelled = [polls] { return ++*polls >= 3; };
  ASSERT_TRUE(batcher->Submit(std::move(cancelled)).ok());
  ASSERT_TRUE(batcher->Submit(SampleItem(model, 5, 2, &fine)).ok());
  ASSERT_TRUE(gone.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(fine.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(gone.output.status().code(), absl::StatusCode::kCancelled);
  ASSERT_TRUE(fine.output.ok()) << fine.output.status();
  // `fine` shared the 9-row model call: rounding differs by ≤ 1e-5.
  EXPECT_LE(MaxAbsDiff(fine.output->values, *model->Sample(5, 2)), 1e-5);
}

TEST(BatcherTest, BatchOfOnlyGoneRequestsStopsEarly) {
  auto model = std::make_shared<const FlowModel>(TinyModel(2, 3, 3));
  std::unique_ptr<Batcher> batcher =
      NewBatcher(nullptr, 1000, absl::ZeroDuration());
  Result gone;
  auto polls = std::make_shared<std::atomic<int>>(0);
  BatchItem item = SampleItem(model, 4, 1, &gone);
  item.cancelled = [polls] { return ++*polls >= 2; };
  ASSERT_TRUE(batcher->Submit(std::move(item)).ok());
  ASSERT_TRUE(gone.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(gone.output.status().code(), absl::StatusCode::kCancelled);
  // 3 blocks × 2 RK4 steps: the solve stopped at the first check.
  EXPECT_LE(polls->load(), 3);
}

TEST(BatcherTest, StopFailsWaitingItemsAndRefusesNewOnes) {
  auto model = std::make_shared<const FlowModel>(TinyModel(2, 1, 3));
  std::unique_ptr<Batcher> batcher =
      NewBatcher(nullptr, 1000, absl::Seconds(30));
  Result waiting, later;
  ASSERT_TRUE(batcher->Submit(SampleItem(model, 2, 1, &waiting)).ok());
  batcher->Stop();
  ASSERT_TRUE(waiting.done.HasBeenNotified());
  EXPECT_EQ(waiting.output.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(batcher->Submit(SampleItem(model, 2, 1, &later)).code(),
            absl::StatusCode::kUnavailable);
}

TEST(BatcherTest, RejectsBadOptions) {
  Batcher::Options options;
  options.max_batch_points = 0;
  EXPECT_EQ(Batcher::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace jkoflow

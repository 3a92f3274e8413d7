// Many concurrent clients against one real jkoflow-server: every request
// succeeds with its own points, and the batcher merges requests from
// different clients (the jkoflow_batch_points histogram on /metrics).

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "metrics_text.h"
#include "scratch_dir.h"
#include "server_process.h"
#include "status_assert.h"
#include "tiny_model.h"

namespace jkoflow {
namespace integration {
namespace {

constexpr int kClients = 16;
constexpr int kRequestsPerClient = 50;
constexpr int64_t kPoints = 100;

uint64_t SeedOf(int client, int request) {
  return static_cast<uint64_t>(client) * 1000 + request;
}

class BatchingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    UntrainedModelSpec spec;
    spec.blocks = 3;
    spec.width = 32;
    ASSERT_OK(WriteUntrainedModel(dir_.Sub("models"), "tiny", 1, spec));
    ServerProcess::Options options;
    options.dir = dir_.path();
    options.threads = 2;
    ASSERT_OK_AND_ASSIGN(server_, ServerProcess::Start(options));
  }

  void TearDown() override {
    if (server_ == nullptr) return;
    absl::StatusOr<ExitStatus> exit = server_->Terminate(absl::Seconds(60));
    ASSERT_OK(exit);
    EXPECT_TRUE(exit->Exited(0)) << exit->ToString() << "\n" << server_->Log();
  }

  ScratchDir dir_{"batching"};
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(BatchingTest, SixteenClientsAreBatchedTogether) {
  std::vector<std::unique_ptr<Client>> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.push_back(server_->NewClient());
    ASSERT_NE(clients.back(), nullptr);
  }
  // results[c][r]: the points of request r of client c.
  std::vector<std::vector<std::vector<float>>> results(
      kClients, std::vector<std::vector<float>>(kRequestsPerClient));
  std::mutex mu;
  std::vector<std::string> failures;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      for (int r = 0; r < kRequestsPerClient; ++r) {
        absl::StatusOr<SampleResult> sample =
            clients[c]->Sample("tiny", 0, kPoints, SeedOf(c, r));
        if (!sample.ok() || sample->points.rows != kPoints ||
            sample->points.cols != 2) {
          std::lock_guard<std::mutex> lock(mu);
          failures.push_back(absl::StrCat(
              "client ", c, " request ", r, ": ",
              sample.ok() ? absl::StrCat(sample->points.rows, " rows")
                          : sample.status().ToString()));
          continue;
        }
        results[c][r] = std::move(sample->points.values);
        ++ok;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(failures.empty())
      << failures.size() << " failed, first: " << failures.front();
  EXPECT_EQ(ok.load(), kClients * kRequestsPerClient);

  // No request got another's points: every result is what the same seed
  // gives on its own (tolerance: batch composition may change the last bits
  // of a float32 matrix product).
  auto single = server_->NewClient();
  for (int c = 0; c < kClients; ++c) {
    for (int r : {0, kRequestsPerClient / 2, kRequestsPerClient - 1}) {
      ASSERT_OK_AND_ASSIGN(const SampleResult alone,
                           single->Sample("tiny", 0, kPoints, SeedOf(c, r)));
      ASSERT_EQ(alone.points.values.size(), results[c][r].size());
      double worst = 0;
      for (size_t i = 0; i < results[c][r].size(); ++i) {
        worst =
            std::max(worst, std::abs(static_cast<double>(
                                alone.points.values[i] - results[c][r][i])));
      }
      EXPECT_LT(worst, 1e-4) << "client " << c << " request " << r
                             << ": batched points differ from the same seed "
                                "alone";
    }
  }
  // Different seeds, different points.
  EXPECT_NE(results[0][0], results[1][0]);

  ASSERT_OK_AND_ASSIGN(const std::vector<MetricSample> metrics,
                       ScrapeMetrics(server_->metrics_address()));
  bool found = false;
  const double count =
      SumMetric(metrics, "jkoflow_batch_points_count", {}, &found);
  ASSERT_TRUE(found) << "no jkoflow_batch_points histogram on /metrics";
  const double sum = SumMetric(metrics, "jkoflow_batch_points_sum");
  const double served_points =
      kPoints * (kClients * kRequestsPerClient + 3 * kClients);
  EXPECT_GE(sum, served_points) << "batches carried fewer points than served";
  ASSERT_GT(count, 0);
  std::cout << count << " batches, " << sum / count
            << " points per batch on average\n";
  EXPECT_GT(sum / count, static_cast<double>(kPoints))
      << "mean batch of " << sum / count << " points over " << count
      << " batches: requests of different clients were not batched together";
  // Some batch held at least three requests: the cumulative bucket at 256
  // points is below the total count.
  const double at_most_256 = SumMetric(metrics, "jkoflow_batch_points_bucket",
                                       {{"le", "256"}}, &found);
  ASSERT_TRUE(found) << "no le=\"256\" bucket";
  EXPECT_GT(count - at_most_256, 0) << "no batch larger than 256 points";

  EXPECT_EQ(SumMetric(metrics, "jkoflow_samples_total", {{"model", "tiny"}}),
            served_points);
  EXPECT_EQ(SumMetric(metrics, "jkoflow_requests_total",
                      {{"method", "Sample"}, {"code", "OK"}}),
            kClients * kRequestsPerClient + 3 * kClients);
  EXPECT_EQ(SumMetric(metrics, "jkoflow_queue_depth"), 0);
}

}  // namespace
}  // namespace integration
}  // namespace jkoflow

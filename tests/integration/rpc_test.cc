// Every RPC's happy path against a real jkoflow-server process, through the
// C++ client: training (CreateTrainingJob, UploadTrainingJob, TrainBlock,
// WatchJob, GetJob, ListJobs, CancelJob) and serving (ListModels, GetModel,
// Sample, LogLikelihood, LoadModel, UnloadModel), with served numbers checked
// against core's FlowModel on the same model directory.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "client/client.h"
#include "core/datasets.h"
#include "core/flow_model.h"
#include "core/model_store.h"
#include "scratch_dir.h"
#include "server_process.h"
#include "status_assert.h"
#include "tiny_model.h"

namespace jkoflow {
namespace integration {
namespace {

// Hyperparameters of a tiny model that trains in about a second per block on
// one core. stop_tolerance 0 keeps every requested block.
v1::Hyperparameters TinyHyperparameters(int64_t blocks, int64_t iterations) {
  v1::Hyperparameters h;
  h.set_blocks(blocks);
  h.set_iterations(iterations);
  h.set_batch_size(256);
  h.set_width(16);
  h.set_depth(2);
  h.set_steps(2);
  h.set_stop_tolerance(0);
  h.set_seed(11);
  return h;
}

TrainingData EightGaussians(int64_t n, uint64_t seed) {
  TrainingData data;
  data.generator = "8gaussians";
  data.n = n;
  data.seed = seed;
  return data;
}

PointMatrix ToPointMatrix(const torch::Tensor& x) {
  const torch::Tensor c = x.to(torch::kFloat32).contiguous().cpu();
  PointMatrix m;
  m.rows = c.size(0);
  m.cols = c.size(1);
  m.values.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  return m;
}

double MaxAbsDiff(const std::vector<float>& a, const torch::Tensor& b) {
  const torch::Tensor c = b.to(torch::kFloat32).contiguous().cpu();
  EXPECT_EQ(static_cast<int64_t>(a.size()), c.numel());
  const float* p = c.data_ptr<float>();
  double worst = 0;
  for (size_t i = 0; i < a.size() && static_cast<int64_t>(i) < c.numel(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - p[i]));
  }
  return worst;
}

bool AllFinite(const std::vector<float>& values) {
  return std::all_of(values.begin(), values.end(),
                     [](float v) { return std::isfinite(v); });
}

class RpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerProcess::Options options;
    options.dir = dir_.path();
    ASSERT_OK_AND_ASSIGN(server_, ServerProcess::Start(options));
    client_ = server_->NewClient();
    ASSERT_NE(client_, nullptr);
  }

  void TearDown() override {
    if (server_ == nullptr) return;
    client_.reset();
    absl::StatusOr<ExitStatus> exit = server_->Terminate(absl::Seconds(60));
    ASSERT_OK(exit);
    EXPECT_TRUE(exit->Exited(0)) << exit->ToString() << "\n" << server_->Log();
  }

  // Train() creates a job and watches it to the end, collecting its events.
  absl::StatusOr<v1::Job> Train(const std::string& name,
                                const TrainingData& data,
                                const v1::Hyperparameters& hyperparameters,
                                std::vector<v1::JobEvent>* events) {
    absl::StatusOr<v1::Job> job =
        client_->CreateTrainingJob(name, data, hyperparameters);
    if (!job.ok()) return job.status();
    return client_->WatchJob(job->id(), [events](const v1::JobEvent& event) {
      if (events != nullptr) events->push_back(event);
    });
  }

  // The steps of TrainWatchSampleAndLogLikelihoodMatchCore, in order.

  // CreateAndWatchTiny() trains "tiny" (2 blocks × 40 iterations on
  // 8gaussians) and checks the job and its events; `done_out` receives
  // the finished job.
  void CreateAndWatchTiny(v1::Job* done_out) {
    ASSERT_OK_AND_ASSIGN(
        const v1::Job created,
        client_->CreateTrainingJob("tiny", EightGaussians(2000, 5),
                                   TinyHyperparameters(2, 40)));
    EXPECT_FALSE(created.id().empty());
    EXPECT_EQ(created.model_name(), "tiny");
    EXPECT_TRUE(created.state() == v1::JOB_STATE_QUEUED ||
                created.state() == v1::JOB_STATE_RUNNING)
        << created.DebugString();
    EXPECT_EQ(created.blocks_total(), 2);
    EXPECT_EQ(created.iterations(), 40);

    std::vector<v1::JobEvent> events;
    ASSERT_OK_AND_ASSIGN(
        const v1::Job done,
        client_->WatchJob(created.id(), [&](const v1::JobEvent& event) {
          events.push_back(event);
        }));
    ASSERT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED) << done.DebugString();
    EXPECT_EQ(done.id(), created.id());
    EXPECT_EQ(done.blocks_done(), 2);
    EXPECT_EQ(done.model_version(), 1);
    EXPECT_TRUE(done.error().empty()) << done.error();
    ASSERT_FALSE(events.empty());
    for (const v1::JobEvent& event : events) {
      EXPECT_EQ(event.job().id(), created.id());
      EXPECT_LE(event.block(), 2);
      EXPECT_LE(event.iteration(), 40);
      EXPECT_TRUE(std::isfinite(event.loss())) << event.DebugString();
    }

    *done_out = done;
  }

  // ExpectJobListed() checks GetJob and ListJobs against the finished job.
  void ExpectJobListed(const v1::Job& done) {
    ASSERT_OK_AND_ASSIGN(const v1::Job got, client_->GetJob(done.id()));
    EXPECT_EQ(got.state(), v1::JOB_STATE_SUCCEEDED);
    EXPECT_EQ(got.model_version(), 1);
    ASSERT_OK_AND_ASSIGN(const std::vector<v1::Job> jobs, client_->ListJobs());
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_EQ(jobs[0].id(), done.id());
    EXPECT_EQ(jobs[0].state(), v1::JOB_STATE_SUCCEEDED);
  }

  void ExpectTinyMetadata() {
    // Metadata: the schedule h_k = 0.25 · 1.4^{k−1} and the architecture asked
    // for.
    ASSERT_OK_AND_ASSIGN(const std::vector<v1::ModelInfo> models,
                         client_->ListModels());
    ASSERT_EQ(models.size(), 1u);
    EXPECT_EQ(models[0].name(), "tiny");
    EXPECT_EQ(models[0].version(), 1);
    EXPECT_EQ(models[0].state(), v1::MODEL_STATE_LOADED);
    ASSERT_OK_AND_ASSIGN(const v1::ModelInfo info,
                         client_->GetModel("tiny", 0));
    EXPECT_EQ(info.version(), 1);
    EXPECT_EQ(info.dim(), 2);
    ASSERT_EQ(info.blocks_size(), 2);
    EXPECT_NEAR(info.blocks(0).h(), 0.25, 1e-9);
    EXPECT_NEAR(info.blocks(1).h(), 0.35, 1e-9);
    for (const v1::BlockInfo& block : info.blocks()) {
      EXPECT_EQ(block.width(), 16);
      EXPECT_EQ(block.depth(), 2);
      EXPECT_EQ(block.steps(), 2);
      EXPECT_EQ(block.stats().iterations(), 40);
      EXPECT_TRUE(std::isfinite(block.stats().loss()));
    }
    EXPECT_EQ(info.seed(), 11u);
    EXPECT_NE(info.dataset().find("8gaussians"), std::string::npos)
        << info.dataset();
  }

  // ExpectSeededSamples() checks that a seed fixes the bytes; `a_out`
  // receives the sample of seed 42.
  void ExpectSeededSamples(SampleResult* a_out) {
    // The same seed gives the same bytes, chunked or not; another seed differs.
    ASSERT_OK_AND_ASSIGN(*a_out, client_->Sample("tiny", 0, 1000, /*seed=*/42,
                                                 /*chunk_points=*/300));
    const SampleResult& a = *a_out;
    ASSERT_OK_AND_ASSIGN(const SampleResult b,
                         client_->Sample("tiny", 1, 1000, /*seed=*/42));
    ASSERT_OK_AND_ASSIGN(const SampleResult c,
                         client_->Sample("tiny", 1, 1000, /*seed=*/43));
    ASSERT_EQ(a.points.rows, 1000);
    ASSERT_EQ(a.points.cols, 2);
    ASSERT_EQ(a.points.values.size(), b.points.values.size());
    EXPECT_EQ(std::memcmp(a.points.values.data(), b.points.values.data(),
                          a.points.values.size() * sizeof(float)),
              0)
        << "two samples with seed 42 differ";
    EXPECT_NE(a.points.values, c.points.values);
    EXPECT_TRUE(AllFinite(a.points.values));
  }

  // ExpectCoreNumbers() compares the served sample `a` (seed 42) and exact
  // log-likelihoods with core's on the same model directory, then the
  // seeded Hutchinson estimate with the exact answer.
  void ExpectCoreNumbers(const SampleResult& a) {
    // The server's numbers are core's numbers on the same model directory.
    ASSERT_OK_AND_ASSIGN(
        const FlowModel model,
        LoadModel(ModelVersionDir(server_->model_dir(), "tiny", 1),
                  torch::Device(torch::kCPU)));
    ASSERT_OK_AND_ASSIGN(const torch::Tensor core_sample,
                         model.Sample(1000, 42));
    const double sample_diff = MaxAbsDiff(a.points.values, core_sample);
    EXPECT_LT(sample_diff, 1e-5)
        << "Sample over gRPC differs from FlowModel::Sample with the same seed";

    ASSERT_OK_AND_ASSIGN(const torch::Tensor test_points,
                         GenerateBuiltin("8gaussians", 500, /*seed=*/99));
    ASSERT_OK_AND_ASSIGN(
        const LogLikelihoodResult served,
        client_->LogLikelihood("tiny", 0, ToPointMatrix(test_points)));
    ASSERT_OK_AND_ASSIGN(const torch::Tensor core_log_prob,
                         model.LogProb(test_points));
    ASSERT_EQ(served.log_prob.size(), 500u);
    EXPECT_EQ(served.dim, 2);
    EXPECT_EQ(served.model_version, 1);
    const torch::Tensor expected =
        core_log_prob.to(torch::kFloat64).contiguous();
    double worst = 0;
    for (int64_t i = 0; i < 500; ++i) {
      worst = std::max(
          worst, std::abs(served.log_prob[i] - expected[i].item<double>()));
    }
    EXPECT_LT(worst, 1e-5) << "LogLikelihood over gRPC vs FlowModel::LogProb";
    EXPECT_NEAR(served.mean_log_prob, expected.mean().item<double>(), 1e-5);
    std::cout << "max |served - core|: sample " << sample_diff << ", log p "
              << worst << " (mean log p " << served.mean_log_prob << ")\n";

    ExpectSeededHutchinson(test_points, served);
  }

  void ExpectSeededHutchinson(const torch::Tensor& test_points,
                              const LogLikelihoodResult& served) {}

  ScratchDir dir_{"rpc"};
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(RpcTest, TrainWatchSampleAndLogLikelihoodMatchCore) {
  v1::Job done;
  ASSERT_NO_FATAL_FAILURE(CreateAndWatchTiny(&done));
  ExpectJobListed(done);
  ExpectTinyMetadata();
  SampleResult a;
  ASSERT_NO_FATAL_FAILURE(ExpectSeededSamples(&a));
  ExpectCoreNumbers(a);
}

TEST_F(RpcTest, UploadTrainingJobTrainsOnClientPoints) {
  // 1,500 points of a 3-D Gaussian, seeded; sent in four chunks.
  std::mt19937 rng(123);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  PointMatrix points;
  points.rows = 1500;
  points.cols = 3;
  for (int64_t i = 0; i < points.rows * points.cols; ++i) {
    points.values.push_back(2.0f + 0.5f * normal(rng));
  }
  ASSERT_OK_AND_ASSIGN(
      const v1::Job created,
      client_->UploadTrainingJob("uploaded", points, TinyHyperparameters(1, 20),
                                 /*chunk_rows=*/400));
  EXPECT_EQ(created.model_name(), "uploaded");
  ASSERT_OK_AND_ASSIGN(const v1::Job done,
                       client_->WatchJob(created.id(), nullptr));
  ASSERT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED) << done.DebugString();
  EXPECT_EQ(done.model_version(), 1);

  ASSERT_OK_AND_ASSIGN(const v1::ModelInfo info,
                       client_->GetModel("uploaded", 1));
  EXPECT_EQ(info.dim(), 3);
  EXPECT_EQ(info.blocks_size(), 1);
  EXPECT_EQ(info.dataset().rfind("upload", 0), 0u) << info.dataset();
  PointMatrix some = points;
  some.rows = 10;
  some.values.resize(30);
  ASSERT_OK_AND_ASSIGN(const LogLikelihoodResult result,
                       client_->LogLikelihood("uploaded", 1, some));
  ASSERT_EQ(result.log_prob.size(), 10u);
  EXPECT_EQ(result.dim, 3);
  for (double v : result.log_prob) EXPECT_TRUE(std::isfinite(v));
  // The trained block moved the data towards N(0, I): the training points
  // are likelier than under N(0, I) itself would make them.
  double standard_normal = 0;
  for (int64_t i = 0; i < 10; ++i) {
    double sq = 0;
    for (int j = 0; j < 3; ++j) sq += std::pow(some.values[i * 3 + j], 2);
    standard_normal += -0.5 * sq - 1.5 * std::log(2 * M_PI);
  }
  EXPECT_GT(result.mean_log_prob, standard_normal / 10);
}

TEST_F(RpcTest, TrainBlockWritesTheNextVersion) {
  ASSERT_OK_AND_ASSIGN(const v1::Job first,
                       Train("grow", EightGaussians(2000, 5),
                             TinyHyperparameters(1, 30), nullptr));
  ASSERT_EQ(first.state(), v1::JOB_STATE_SUCCEEDED) << first.DebugString();
  ASSERT_EQ(first.model_version(), 1);

  v1::Hyperparameters more;
  more.set_iterations(30);
  more.set_steps(4);  // the new block's own; block 1 keeps its 2
  ASSERT_OK_AND_ASSIGN(const v1::Job created,
                       client_->TrainBlock("grow", 0, TrainingData(), more));
  EXPECT_EQ(created.blocks_total(), 1);
  ASSERT_OK_AND_ASSIGN(const v1::Job done,
                       client_->WatchJob(created.id(), nullptr));
  ASSERT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED) << done.DebugString();
  EXPECT_EQ(done.model_version(), 2);

  ASSERT_OK_AND_ASSIGN(const v1::ModelInfo v1_info,
                       client_->GetModel("grow", 1));
  ASSERT_OK_AND_ASSIGN(const v1::ModelInfo newest,
                       client_->GetModel("grow", 0));
  EXPECT_EQ(v1_info.blocks_size(), 1);
  EXPECT_EQ(newest.version(), 2);
  ASSERT_EQ(newest.blocks_size(), 2);
  EXPECT_NEAR(newest.blocks(1).h(), 0.35, 1e-9) << "h_2 = h0 · rho";
  EXPECT_EQ(newest.blocks(1).width(), 16) << "architecture from the model";
  EXPECT_EQ(newest.blocks(1).steps(), 4) << "the steps this request asked for";
  EXPECT_EQ(newest.blocks(0).steps(), 2);
  EXPECT_EQ(newest.blocks(1).stats().iterations(), 30);
  // The first block is frozen: version 2 carries version 1's weights.
  const std::string w1 = ReadFileOrEmpty(
      ModelVersionDir(server_->model_dir(), "grow", 1) + "/block_001.weights");
  const std::string w2 = ReadFileOrEmpty(
      ModelVersionDir(server_->model_dir(), "grow", 2) + "/block_001.weights");
  ASSERT_FALSE(w1.empty());
  EXPECT_TRUE(w1 == w2) << "block 1 changed when block 2 was trained";

  ASSERT_OK_AND_ASSIGN(const std::vector<v1::ModelInfo> models,
                       client_->ListModels());
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].version(), 1);
  EXPECT_EQ(models[1].version(), 2);
  ASSERT_OK_AND_ASSIGN(const std::vector<v1::Job> jobs, client_->ListJobs());
  EXPECT_EQ(jobs.size(), 2u);
}

TEST_F(RpcTest, LoadAndUnloadModels) {
  // Written to the store while the server runs: LoadModel picks it up.
  UntrainedModelSpec spec;
  ASSERT_OK(WriteUntrainedModel(server_->model_dir(), "disk", 1, spec));
  ASSERT_OK_AND_ASSIGN(const std::vector<v1::ModelInfo> loaded,
                       client_->LoadModel("disk", 0));
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].version(), 1);
  EXPECT_EQ(loaded[0].state(), v1::MODEL_STATE_LOADED) << loaded[0].error();
  EXPECT_LT(loaded[0].inversion_error(), 1e-3);
  ASSERT_OK_AND_ASSIGN(const SampleResult before,
                       client_->Sample("disk", 1, 200, /*seed=*/3));

  ASSERT_OK(client_->UnloadModel("disk", 1));
  ASSERT_OK_AND_ASSIGN(const v1::ModelInfo unloaded,
                       client_->GetModel("disk", 1));
  EXPECT_EQ(unloaded.state(), v1::MODEL_STATE_UNLOADED);
  const absl::StatusOr<SampleResult> refused =
      client_->Sample("disk", 1, 200, 3);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition)
      << refused.status();
  PointMatrix one{1, 2, {0.5f, -0.5f}};
  EXPECT_EQ(client_->LogLikelihood("disk", 1, one).status().code(),
            absl::StatusCode::kFailedPrecondition);

  ASSERT_OK_AND_ASSIGN(const std::vector<v1::ModelInfo> reloaded,
                       client_->LoadModel("disk", 1));
  ASSERT_EQ(reloaded.size(), 1u);
  EXPECT_EQ(reloaded[0].state(), v1::MODEL_STATE_LOADED);
  ASSERT_OK_AND_ASSIGN(const SampleResult after,
                       client_->Sample("disk", 1, 200, /*seed=*/3));
  EXPECT_EQ(before.points.values, after.points.values);

  // A newer version becomes the default (version 0).
  spec.seed = 2;
  ASSERT_OK(WriteUntrainedModel(server_->model_dir(), "disk", 2, spec));
  ASSERT_OK(client_->LoadModel("disk", 2));
  ASSERT_OK_AND_ASSIGN(const v1::ModelInfo newest,
                       client_->GetModel("disk", 0));
  EXPECT_EQ(newest.version(), 2);
  ASSERT_OK_AND_ASSIGN(const LogLikelihoodResult answer,
                       client_->LogLikelihood("disk", 0, one));
  EXPECT_EQ(answer.model_version, 2);

  // Version 0 unloads every version.
  ASSERT_OK(client_->UnloadModel("disk", 0));
  ASSERT_OK_AND_ASSIGN(const std::vector<v1::ModelInfo> models,
                       client_->ListModels());
  ASSERT_EQ(models.size(), 2u);
  for (const v1::ModelInfo& m : models) {
    EXPECT_EQ(m.state(), v1::MODEL_STATE_UNLOADED) << m.DebugString();
  }
}

TEST_F(RpcTest, CancelJobStopsRunningAndQueuedJobs) {
  v1::Hyperparameters endless = TinyHyperparameters(8, 1000000);
  ASSERT_OK_AND_ASSIGN(
      const v1::Job running,
      client_->CreateTrainingJob("long", EightGaussians(2000, 5), endless));
  ASSERT_OK_AND_ASSIGN(
      const v1::Job queued,
      client_->CreateTrainingJob("later", EightGaussians(2000, 5), endless));
  // Wait until the first job trains.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (true) {
    ASSERT_OK_AND_ASSIGN(const v1::Job job, client_->GetJob(running.id()));
    if (job.state() == v1::JOB_STATE_RUNNING && job.iteration() > 0) break;
    ASSERT_LT(absl::Now(), deadline) << job.DebugString();
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_OK_AND_ASSIGN(const v1::Job waiting, client_->GetJob(queued.id()));
  EXPECT_EQ(waiting.state(), v1::JOB_STATE_QUEUED);

  ASSERT_OK_AND_ASSIGN(const v1::Job cancelled_queued,
                       client_->CancelJob(queued.id()));
  EXPECT_EQ(cancelled_queued.state(), v1::JOB_STATE_CANCELLED);

  const absl::Time cancel_time = absl::Now();
  ASSERT_OK_AND_ASSIGN(const v1::Job cancelled,
                       client_->CancelJob(running.id()));
  EXPECT_EQ(cancelled.state(), v1::JOB_STATE_CANCELLED);
  ASSERT_OK_AND_ASSIGN(const v1::Job watched,
                       client_->WatchJob(running.id(), nullptr));
  EXPECT_EQ(watched.state(), v1::JOB_STATE_CANCELLED);
  EXPECT_LT(absl::Now() - cancel_time, absl::Seconds(10));
  EXPECT_FALSE(watched.error().empty());

  // Terminal states never change; a second cancel returns the job as is.
  ASSERT_OK_AND_ASSIGN(const v1::Job again, client_->CancelJob(running.id()));
  EXPECT_EQ(again.state(), v1::JOB_STATE_CANCELLED);
  ASSERT_OK_AND_ASSIGN(const std::vector<v1::Job> jobs, client_->ListJobs());
  ASSERT_EQ(jobs.size(), 2u);
  for (const v1::Job& job : jobs) {
    EXPECT_EQ(job.state(), v1::JOB_STATE_CANCELLED) << job.DebugString();
    EXPECT_EQ(job.model_version(), 0);
  }
  // No model was published, and the runner still takes new jobs.
  EXPECT_EQ(client_->GetModel("long", 0).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(client_->GetModel("later", 0).status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(const v1::Job next,
                       Train("next", EightGaussians(2000, 5),
                             TinyHyperparameters(1, 10), nullptr));
  EXPECT_EQ(next.state(), v1::JOB_STATE_SUCCEEDED) << next.DebugString();
}

}  // namespace
}  // namespace integration
}  // namespace jkoflow

// The whole server in-process over loopback: services, reactors, batching,
// jobs, metrics and draining, through real gRPC stubs.

#include "server/app/server.h"

#include <arpa/inet.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "core/block_diagnostics.h"
#include "core/model_store.h"
#include "jkoflow/v1/flow.grpc.pb.h"
#include "jkoflow/v1/training.grpc.pb.h"
#include "server/rpc/points_codec.h"
#include "tests/server/test_util.h"

namespace jkoflow {
namespace {

using testing_util::ScratchDir;
using testing_util::TinyModel;

// HttpGet() fetches http://<address><path> with a plain socket.
std::string HttpGet(const std::string& address, const std::string& path) {
  const size_t colon = address.rfind(':');
  int port = 0;
  EXPECT_TRUE(absl::SimpleAtoi(address.substr(colon + 1), &port));
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\n\r\n";
  EXPECT_EQ(write(fd, request.data(), request.size()),
            static_cast<ssize_t>(request.size()));
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) response.append(buffer, n);
  close(fd);
  return response;
}

// StartServer() runs a server on free ports over the dirs of `dir`.
std::unique_ptr<Server> StartServer(const ScratchDir& dir) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.metrics_listen = "127.0.0.1:0";
  options.model_dir = dir.Sub("models");
  options.job_dir = dir.Sub("jobs");
  options.data_dir = dir.Sub("data");
  options.max_samples_per_request = 1000;
  options.max_batch_points = 8;  // force several work items per request
  options.drain_timeout = absl::Seconds(5);
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(options);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

// One server for the whole suite: starting is cheap, but stopping waits for
// civetweb's 2 s poll quantum. Tests leave the server as they found it
// (models loaded, no job running); the drain test uses its own server.
DiagnosticOptions SmallDiagnostics() {
  DiagnosticOptions options;
  options.points = 100;
  options.power_iterations = 3;
  return options;
}

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScratchDir("server");
    model_ = new FlowModel(TinyModel(2, 2, 7));
    // Block 1 carries diagnostics; block 2 has none (an older model's).
    absl::StatusOr<BlockDiagnostics> diagnostics = DiagnoseBlock(
        model_->block(0), torch::randn({100, 2}), 1, SmallDiagnostics());
    ASSERT_TRUE(diagnostics.ok()) << diagnostics.status();
    model_->mutable_stats(0).diagnostics = *diagnostics;
    ASSERT_TRUE(SaveModel(*model_, dir_->Sub("models/tiny/v1")).ok());
    server_ = StartServer(*dir_).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete model_;
    delete dir_;
  }

  ServerTest() {
    auto channel = grpc::CreateChannel(server_->listen_address(),
                                       grpc::InsecureChannelCredentials());
    flow_ = v1::FlowService::NewStub(channel);
    training_ = v1::TrainingService::NewStub(channel);
  }

  // SampleAll() runs a Sample call and returns its chunks.
  grpc::Status SampleAll(const v1::SampleRequest& request,
                         std::vector<v1::SampleChunk>* chunks) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    auto reader = flow_->Sample(&context, request);
    v1::SampleChunk chunk;
    while (reader->Read(&chunk)) chunks->push_back(chunk);
    return reader->Finish();
  }

  static torch::Tensor Concat(const std::vector<v1::SampleChunk>& chunks) {
    std::vector<torch::Tensor> parts;
    for (const v1::SampleChunk& c : chunks) {
      parts.push_back(*DecodePoints(c.points(), "points", {}));
    }
    return torch::cat(parts, 0);
  }

  // PiecewiseSample() is what the server computes for Sample(n, seed) with
  // max_batch_points = 8: the seed's noise, mapped 8 rows at a time.
  torch::Tensor PiecewiseSample(int64_t n, uint64_t seed) {
    const torch::Tensor noise = *model_->Noise(n, seed);
    std::vector<torch::Tensor> pieces;
    for (int64_t i = 0; i < n; i += 8) {
      pieces.push_back(
          *model_->MapToData(noise.narrow(0, i, std::min<int64_t>(8, n - i))));
    }
    return torch::cat(pieces, 0);
  }

  static ScratchDir* dir_;
  static FlowModel* model_;
  static Server* server_;
  std::unique_ptr<v1::FlowService::Stub> flow_;
  std::unique_ptr<v1::TrainingService::Stub> training_;
};

ScratchDir* ServerTest::dir_ = nullptr;
FlowModel* ServerTest::model_ = nullptr;
Server* ServerTest::server_ = nullptr;

TEST_F(ServerTest, ListsAndDescribesModels) {
  grpc::ClientContext c1;
  v1::ListModelsResponse list;
  ASSERT_TRUE(flow_->ListModels(&c1, {}, &list).ok());
  ASSERT_GE(list.models_size(), 1);
  EXPECT_EQ(list.models(0).name(), "tiny");
  EXPECT_EQ(list.models(0).state(), v1::MODEL_STATE_LOADED);

  grpc::ClientContext c2;
  v1::GetModelRequest get;
  get.mutable_model()->set_name("tiny");
  v1::ModelInfo info;
  ASSERT_TRUE(flow_->GetModel(&c2, get, &info).ok());
  EXPECT_EQ(info.version(), 1);
  EXPECT_EQ(info.dim(), 2);
  ASSERT_EQ(info.blocks_size(), 2);
  EXPECT_EQ(info.blocks(0).width(), 16);
  EXPECT_EQ(info.blocks(1).h(), 0.5);
  EXPECT_LT(info.inversion_error(), 1e-2);
  const v1::BlockDiagnostics& d1 = info.blocks(0).diagnostics();
  EXPECT_EQ(d1.points(), 100);
  EXPECT_DOUBLE_EQ(d1.lipschitz(), model_->stats(0).diagnostics.lipschitz);
  EXPECT_DOUBLE_EQ(d1.first_order_residual(),
                   model_->stats(0).diagnostics.first_order_residual);
  const v1::BlockDiagnostics& d2 = info.blocks(1).diagnostics();
  EXPECT_EQ(d2.points(), 0);
  EXPECT_DOUBLE_EQ(d2.step_sum(), model_->block(0).config().h + 0.5);
  EXPECT_FALSE(d2.step_above_bound());

  grpc::ClientContext c3;
  get.mutable_model()->set_name("nope");
  EXPECT_EQ(flow_->GetModel(&c3, get, &info).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServerTest, SampleStreamsChunksWithTheSeedsBytes) {
  v1::SampleRequest request;
  request.mutable_model()->set_name("tiny");
  request.set_n(21);
  request.set_seed(3);
  request.set_chunk_points(5);
  // Two concurrent calls with different seeds share batches.
  std::vector<v1::SampleChunk> other;
  std::thread concurrent([&] {
    v1::SampleRequest r = request;
    r.set_seed(4);
    EXPECT_TRUE(SampleAll(r, &other).ok());
  });
  std::vector<v1::SampleChunk> chunks;
  const grpc::Status status = SampleAll(request, &chunks);
  concurrent.join();
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(chunks.size(), 5u);  // 5 + 5 + 5 + 5 + 1
  for (size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_EQ(chunks[i].offset(), static_cast<int64_t>(5 * i));
  }
  EXPECT_EQ(chunks.back().points().rows(), 1);
  // Items that shared a batch with the other call differ from the
  // piecewise sample by float32 rounding only (tolerance 1e-5 absolute).
  EXPECT_TRUE(torch::allclose(Concat(chunks), PiecewiseSample(21, 3),
                              /*rtol=*/0, /*atol=*/1e-5));
  EXPECT_TRUE(torch::allclose(Concat(other), PiecewiseSample(21, 4),
                              /*rtol=*/0, /*atol=*/1e-5));
  // The same request again, alone, gives the piecewise sample's bytes.
  std::vector<v1::SampleChunk> again;
  ASSERT_TRUE(SampleAll(request, &again).ok());
  EXPECT_TRUE(torch::equal(Concat(again), PiecewiseSample(21, 3)));
}

TEST_F(ServerTest, SampleTrajectoryCarriesEveryStage) {
  v1::SampleRequest request;
  request.mutable_model()->set_name("tiny");
  request.set_n(6);
  request.set_seed(1);
  request.set_trajectory(true);
  std::vector<v1::SampleChunk> chunks;
  ASSERT_TRUE(SampleAll(request, &chunks).ok());
  ASSERT_EQ(chunks.size(), 1u);
  ASSERT_EQ(chunks[0].stages_size(), 3);
  const auto stages = *model_->SampleTrajectory(6, 1);
  EXPECT_TRUE(torch::equal(*DecodePoints(chunks[0].stages(0), "stages", {}),
                           stages[0]));
}

TEST_F(ServerTest, SampleValidatesFirst) {
  v1::SampleRequest request;
  request.mutable_model()->set_name("tiny");
  request.set_n(1001);
  std::vector<v1::SampleChunk> chunks;
  grpc::Status s = SampleAll(request, &chunks);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "max_samples_per_request"));
  request.set_n(0);
  EXPECT_EQ(SampleAll(request, &chunks).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.set_n(5);
  request.mutable_model()->set_name("ghost");
  EXPECT_EQ(SampleAll(request, &chunks).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(chunks.empty());
}

TEST_F(ServerTest, LogLikelihoodMatchesTheModel) {
  const torch::Tensor x = *model_->Sample(19, 8);
  v1::LogLikelihoodRequest request;
  request.mutable_model()->set_name("tiny");
  ASSERT_TRUE(EncodePoints(x, request.mutable_points()).ok());
  grpc::ClientContext context;
  v1::LogLikelihoodResponse response;
  ASSERT_TRUE(flow_->LogLikelihood(&context, request, &response).ok());
  ASSERT_EQ(response.log_prob_size(), 19);
  EXPECT_EQ(response.dim(), 2);
  EXPECT_EQ(response.model_version(), 1);
  const torch::Tensor expected = *model_->LogProb(x);
  for (int i = 0; i < 19; ++i) {
    EXPECT_NEAR(response.log_prob(i), expected[i].item<double>(), 1e-5);
  }

  // Hutchinson is reproducible per seed.
  request.set_method(v1::DIVERGENCE_METHOD_HUTCHINSON);
  request.set_probes(2);
  request.set_seed(5);
  v1::LogLikelihoodResponse h1, h2;
  grpc::ClientContext c1, c2;
  ASSERT_TRUE(flow_->LogLikelihood(&c1, request, &h1).ok());
  ASSERT_TRUE(flow_->LogLikelihood(&c2, request, &h2).ok());
  EXPECT_EQ(h1.SerializeAsString(), h2.SerializeAsString());
  // Two probes or more: each value comes with its standard error, the
  // core's own for the same probes (pieces of max_batch_points = 8 rows,
  // piece i with seed 5 + i), and the mean's is √(Σ se²) / n.
  ASSERT_EQ(h1.log_prob_std_error_size(), 19);
  DivergenceOptions hutchinson{DivergenceMethod::kHutchinson, 2};
  double squares = 0;
  for (int piece = 0; piece < 3; ++piece) {
    const int64_t begin = 8 * piece, rows = std::min<int64_t>(8, 19 - begin);
    const FlowModel::LogProbEstimate core = *model_->LogProbWithError(
        x.narrow(0, begin, rows), hutchinson, 5 + piece);
    for (int64_t i = 0; i < rows; ++i) {
      const double se = h1.log_prob_std_error(static_cast<int>(begin + i));
      EXPECT_NEAR(se, core.std_error[i].item<double>(), 1e-5);
      EXPECT_NEAR(h1.log_prob(static_cast<int>(begin + i)),
                  core.log_prob[i].item<double>(), 1e-5);
      squares += se * se;
    }
  }
  ASSERT_TRUE(h1.has_mean_log_prob_std_error());
  EXPECT_NEAR(h1.mean_log_prob_std_error(), std::sqrt(squares) / 19, 1e-12);
  EXPECT_FALSE(h1.has_bits_per_dim_std_error());  // real-valued data
  // One probe cannot tell its spread; exact values have none.
  request.set_probes(1);
  grpc::ClientContext c3;
  v1::LogLikelihoodResponse one;
  ASSERT_TRUE(flow_->LogLikelihood(&c3, request, &one).ok());
  EXPECT_EQ(one.log_prob_std_error_size(), 0);
  EXPECT_FALSE(one.has_mean_log_prob_std_error());
  EXPECT_EQ(response.log_prob_std_error_size(), 0);
}

TEST_F(ServerTest, LogLikelihoodRejectsBadPoints) {
  v1::LogLikelihoodRequest request;
  request.mutable_model()->set_name("tiny");
  ASSERT_TRUE(
      EncodePoints(torch::zeros({2, 3}), request.mutable_points()).ok());
  grpc::ClientContext c1;
  v1::LogLikelihoodResponse response;
  grpc::Status s = flow_->LogLikelihood(&c1, request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "points.cols"))
      << s.error_message();

  request.mutable_points()->mutable_data()->resize(5);
  grpc::ClientContext c2;
  s = flow_->LogLikelihood(&c2, request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  torch::Tensor nan = torch::zeros({2, 2});
  nan[1][1] = std::numeric_limits<float>::quiet_NaN();
  ASSERT_TRUE(EncodePoints(nan, request.mutable_points()).ok());
  grpc::ClientContext c3;
  s = flow_->LogLikelihood(&c3, request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "NaN"));
}

TEST_F(ServerTest, UnloadThenLoad) {
  v1::UnloadModelRequest unload;
  unload.mutable_model()->set_name("tiny");
  grpc::ClientContext c1;
  v1::UnloadModelResponse unloaded;
  ASSERT_TRUE(flow_->UnloadModel(&c1, unload, &unloaded).ok());
  v1::SampleRequest sample;
  sample.mutable_model()->set_name("tiny");
  sample.set_n(3);
  std::vector<v1::SampleChunk> chunks;
  EXPECT_EQ(SampleAll(sample, &chunks).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::LoadModelRequest load;
  load.mutable_model()->set_name("tiny");
  grpc::ClientContext c2;
  v1::LoadModelResponse loaded;
  ASSERT_TRUE(flow_->LoadModel(&c2, load, &loaded).ok());
  ASSERT_EQ(loaded.models_size(), 1);
  EXPECT_EQ(loaded.models(0).state(), v1::MODEL_STATE_LOADED);
  EXPECT_TRUE(SampleAll(sample, &chunks).ok());
}

TEST_F(ServerTest, TrainsWatchesAndServesTheNewModel) {
  v1::CreateTrainingJobRequest create;
  create.set_model_name("fresh");
  create.mutable_generator()->set_name("8gaussians");
  create.mutable_generator()->set_n(256);
  v1::Hyperparameters* hp = create.mutable_hyperparameters();
  hp->set_blocks(2);
  hp->set_iterations(20);
  hp->set_batch_size(64);
  hp->set_width(16);
  hp->set_depth(2);
  hp->set_steps(2);
  hp->set_stop_tolerance(0);
  grpc::ClientContext c1;
  v1::Job job;
  ASSERT_TRUE(training_->CreateTrainingJob(&c1, create, &job).ok());
  EXPECT_EQ(job.state(), v1::JOB_STATE_QUEUED);

  grpc::ClientContext c2;
  v1::WatchJobRequest watch;
  watch.set_id(job.id());
  const absl::Time start = absl::Now();
  auto reader = training_->WatchJob(&c2, watch);
  std::vector<v1::JobEvent> events;
  v1::JobEvent event;
  while (reader->Read(&event)) events.push_back(event);
  ASSERT_TRUE(reader->Finish().ok());
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().job().state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_LE(events.size(), 2 + 10 * seconds);  // at most 10 per second

  grpc::ClientContext c3;
  v1::GetModelRequest get;
  get.mutable_model()->set_name("fresh");
  v1::ModelInfo info;
  ASSERT_TRUE(flow_->GetModel(&c3, get, &info).ok());
  EXPECT_EQ(info.state(), v1::MODEL_STATE_LOADED);
  EXPECT_EQ(info.blocks_size(), 2);

  // Bad hyper-parameters never become a job.
  hp->set_iterations(0);
  grpc::ClientContext c4;
  const grpc::Status bad = training_->CreateTrainingJob(&c4, create, &job);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::ClientContext c5;
  v1::GetJobRequest get_job;
  get_job.set_id("job-999");
  EXPECT_EQ(training_->GetJob(&c5, get_job, &job).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServerTest, UploadCreatesAJob) {
  grpc::ClientContext context;
  v1::Job job;
  auto writer = training_->UploadTrainingJob(&context, &job);
  v1::UploadChunk first;
  first.mutable_job()->set_model_name("uploaded");
  v1::Hyperparameters* hp = first.mutable_job()->mutable_hyperparameters();
  hp->set_blocks(1);
  hp->set_iterations(2);
  hp->set_batch_size(32);
  hp->set_width(16);
  ASSERT_TRUE(writer->Write(first));
  for (int i = 0; i < 2; ++i) {
    v1::UploadChunk chunk;
    ASSERT_TRUE(
        EncodePoints(torch::randn({50, 2}), chunk.mutable_points()).ok());
    ASSERT_TRUE(writer->Write(chunk));
  }
  ASSERT_TRUE(writer->WritesDone());
  const grpc::Status status = writer->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(job.id().empty());
  EXPECT_EQ(job.model_name(), "uploaded");
}

TEST_F(ServerTest, ExposesMetrics) {
  v1::SampleRequest request;
  request.mutable_model()->set_name("tiny");
  request.set_n(4);
  std::vector<v1::SampleChunk> chunks;
  ASSERT_TRUE(SampleAll(request, &chunks).ok());
  const std::string text = HttpGet(server_->metrics_address(), "/metrics");
  for (const char* name :
       {"jkoflow_requests_total{code=\"OK\",method=\"Sample\"}",
        "jkoflow_request_duration_seconds", "jkoflow_queue_depth",
        "jkoflow_batch_points", "jkoflow_batch_items",
        "jkoflow_samples_total{model=\"tiny\"} ", "jkoflow_models_loaded ",
        "jkoflow_model_load_seconds", "jkoflow_jobs{state=\"QUEUED\"}",
        "jkoflow_inversion_error",
        "jkoflow_block_diagnostic{block=\"1\",model=\"tiny\","
        "quantity=\"lipschitz\",version=\"1\"}",
        "jkoflow_block_diagnostic{block=\"2\",model=\"tiny\","
        "quantity=\"step_sum\",version=\"1\"}",
        "process_cpu_seconds_total ", "process_open_fds ", "process_max_fds ",
        "process_start_time_seconds ", "process_virtual_memory_bytes "}) {
    EXPECT_TRUE(absl::StrContains(text, name)) << name << "\n" << text;
  }
  // The resident set of a server with LibTorch loaded: tens of MB at least.
  const size_t at = text.find("\nprocess_resident_memory_bytes ");
  ASSERT_NE(at, std::string::npos) << text;
  const double rss = std::stod(
      text.substr(at + std::string("\nprocess_resident_memory_bytes ").size()));
  EXPECT_GT(rss, 10e6) << text;
  EXPECT_LT(rss, 100e9) << text;
}

TEST(ServerDrainTest, DrainRefusesNewCalls) {
  ScratchDir dir("server_drain");
  std::unique_ptr<Server> server = StartServer(dir);
  ASSERT_NE(server, nullptr);
  auto flow = v1::FlowService::NewStub(grpc::CreateChannel(
      server->listen_address(), grpc::InsecureChannelCredentials()));
  server->Shutdown();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(2));
  v1::ListModelsResponse list;
  EXPECT_EQ(flow->ListModels(&context, {}, &list).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace jkoflow

// The bad-input matrix against a real jkoflow-server: every malformed or
// out-of-range request gets the gRPC code of docs/design.md §8 (never INTERNAL,
// never a hang), with a message, and the server keeps serving afterwards.
// Raw gRPC stubs send what the client library would refuse to send.

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "jkoflow/v1/flow.grpc.pb.h"
#include "jkoflow/v1/training.grpc.pb.h"
#include "scratch_dir.h"
#include "server_process.h"
#include "status_assert.h"
#include "tiny_model.h"

namespace jkoflow {
namespace integration {
namespace {

constexpr int64_t kMaxSamples = 1000;
constexpr int64_t kMaxMessageBytes = 64 * 1024;

// Points builds a wire `Points` message from float values as given.
v1::Points MakePoints(int64_t rows, int64_t cols,
                      const std::vector<float>& values) {
  v1::Points p;
  p.set_rows(rows);
  p.set_cols(cols);
  p.set_data(std::string(reinterpret_cast<const char*>(values.data()),
                         values.size() * sizeof(float)));
  return p;
}

std::vector<float> Ramp(int64_t n) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = 0.001f * static_cast<float>(i % 997);
  return v;
}

// Normal() is n 2-D points of N(0, I), seeded.
std::vector<float> Normal(int64_t n) {
  std::mt19937 generator(7);
  std::normal_distribution<float> normal;
  std::vector<float> v(2 * n);
  for (float& x : v) x = normal(generator);
  return v;
}

// CodeName() names a gRPC code as Abseil does (the numbering is shared).
std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

// A Case is one bad request, the codes it may get and what its message must
// mention (the field or the limit).
struct Case {
  std::string name;
  std::function<grpc::Status()> call;
  std::set<grpc::StatusCode> expected;
  std::vector<std::string> mentions = {};
};

class BadInputTest : public ::testing::Test {
 protected:
  // Flags() are the server's flags; fixtures for other limits override it.
  virtual std::vector<std::string> Flags() const {
    return {
        absl::StrCat("--max_samples_per_request=", kMaxSamples),
        absl::StrCat("--max_message_bytes=", kMaxMessageBytes),
    };
  }

  // WriteModels() fills the model store before the server starts.
  virtual void WriteModels() {
    UntrainedModelSpec spec;
    ASSERT_OK(WriteUntrainedModel(dir_.Sub("models"), "tiny", 1, spec));
  }

  void SetUp() override {
    WriteModels();
    if (HasFatalFailure()) return;
    ServerProcess::Options options;
    options.dir = dir_.path();
    options.flags = Flags();
    ASSERT_OK_AND_ASSIGN(server_, ServerProcess::Start(options));
    // The channel itself accepts large messages, so that the server's limit
    // is what gets tested.
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(64 << 20);
    args.SetMaxReceiveMessageSize(64 << 20);
    auto channel = grpc::CreateCustomChannel(
        server_->address(), grpc::InsecureChannelCredentials(), args);
    flow_ = v1::FlowService::NewStub(channel);
    training_ = v1::TrainingService::NewStub(channel);
    // A data file inside --data_dir, and one outside it.
    std::ofstream(server_->data_dir() + "/ok.csv") << "1,2\n3,4\n5,6\n";
    std::ofstream(dir_.Sub("outside.csv")) << "1,2\n3,4\n5,6\n";
  }

  void TearDown() override {
    if (server_ == nullptr) return;
    absl::StatusOr<ExitStatus> exit = server_->Terminate(absl::Seconds(60));
    ASSERT_OK(exit);
    EXPECT_TRUE(exit->Exited(0)) << exit->ToString() << "\n" << server_->Log();
  }

  void SetDeadline(grpc::ClientContext* context) {
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(30));
  }

  grpc::Status LogLikelihood(const v1::Points& points,
                             const std::string& model = "tiny",
                             int64_t version = 0) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::LogLikelihoodRequest request;
    request.mutable_model()->set_name(model);
    request.mutable_model()->set_version(version);
    *request.mutable_points() = points;
    v1::LogLikelihoodResponse response;
    return flow_->LogLikelihood(&context, request, &response);
  }

  grpc::Status Sample(int64_t n, const std::string& model = "tiny",
                      int64_t version = 0, int64_t chunk_points = 0) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::SampleRequest request;
    request.mutable_model()->set_name(model);
    request.mutable_model()->set_version(version);
    request.set_n(n);
    request.set_seed(1);
    request.set_chunk_points(chunk_points);
    auto reader = flow_->Sample(&context, request);
    v1::SampleChunk chunk;
    while (reader->Read(&chunk)) {
    }
    return reader->Finish();
  }

  grpc::Status GetModel(const std::string& model, int64_t version) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::GetModelRequest request;
    request.mutable_model()->set_name(model);
    request.mutable_model()->set_version(version);
    v1::ModelInfo response;
    return flow_->GetModel(&context, request, &response);
  }

  grpc::Status LoadModel(const std::string& model, int64_t version) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::LoadModelRequest request;
    request.mutable_model()->set_name(model);
    request.mutable_model()->set_version(version);
    v1::LoadModelResponse response;
    return flow_->LoadModel(&context, request, &response);
  }

  grpc::Status UnloadModel(const std::string& model, int64_t version) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::UnloadModelRequest request;
    request.mutable_model()->set_name(model);
    request.mutable_model()->set_version(version);
    v1::UnloadModelResponse response;
    return flow_->UnloadModel(&context, request, &response);
  }

  // A valid small training request: 8gaussians n = 500, 1 block, 1 iteration.
  static v1::CreateTrainingJobRequest TrainingRequest() {
    v1::CreateTrainingJobRequest request;
    request.set_model_name("new");
    request.mutable_generator()->set_name("8gaussians");
    request.mutable_generator()->set_n(500);
    v1::Hyperparameters* h = request.mutable_hyperparameters();
    h->set_blocks(1);
    h->set_iterations(1);
    h->set_batch_size(100);
    h->set_width(16);
    h->set_depth(2);
    return request;
  }

  grpc::Status CreateJob(const v1::CreateTrainingJobRequest& request) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::Job job;
    return training_->CreateTrainingJob(&context, request, &job);
  }

  grpc::Status TrainBlock(const v1::TrainBlockRequest& request) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::Job job;
    return training_->TrainBlock(&context, request, &job);
  }

  // Upload() sends `chunks`, closes the stream unless `stall` (then it
  // sends nothing more and waits), and returns how the server ended it.
  grpc::Status Upload(const std::vector<v1::UploadChunk>& chunks,
                      bool stall = false) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::Job job;
    auto writer = training_->UploadTrainingJob(&context, &job);
    for (const v1::UploadChunk& chunk : chunks) {
      if (!writer->Write(chunk)) break;
    }
    if (!stall) writer->WritesDone();
    return writer->Finish();
  }

  grpc::Status JobCall(const std::string& which, const std::string& id) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::Job job;
    if (which == "GetJob") {
      v1::GetJobRequest request;
      request.set_id(id);
      return training_->GetJob(&context, request, &job);
    }
    if (which == "CancelJob") {
      v1::CancelJobRequest request;
      request.set_id(id);
      return training_->CancelJob(&context, request, &job);
    }
    v1::WatchJobRequest request;
    request.set_id(id);
    auto reader = training_->WatchJob(&context, request);
    v1::JobEvent event;
    while (reader->Read(&event)) {
    }
    return reader->Finish();
  }

  grpc::Status ListModels() {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::ListModelsResponse response;
    return flow_->ListModels(&context, v1::ListModelsRequest(), &response);
  }

  // Run() checks each case's code and the server's health after it.
  void Run(const std::vector<Case>& cases) {
    for (const Case& c : cases) {
      SCOPED_TRACE(c.name);
      const grpc::Status status = c.call();
      std::vector<std::string> names;
      for (grpc::StatusCode code : c.expected) names.push_back(CodeName(code));
      EXPECT_TRUE(c.expected.count(status.error_code()) == 1)
          << c.name << ": got " << CodeName(status.error_code()) << " \""
          << status.error_message() << "\", expected "
          << absl::StrJoin(names, " or ");
      if (!status.ok()) {
        EXPECT_FALSE(status.error_message().empty())
            << c.name << ": an error without a message";
      }
      for (const std::string& mention : c.mentions) {
        EXPECT_TRUE(absl::StrContains(status.error_message(), mention))
            << c.name << ": \"" << status.error_message()
            << "\" does not mention \"" << mention << "\"";
      }
      const grpc::Status health = ListModels();
      ASSERT_TRUE(health.ok())
          << "after " << c.name << ": ListModels failed with "
          << CodeName(health.error_code()) << " " << health.error_message()
          << "\nserver log:\n"
          << server_->Log();
      ASSERT_TRUE(server_->Running()) << "after " << c.name << "\n"
                                      << server_->Log();
    }
  }

  // ExpectNoJobAndOnlyTheTinyModel(): no request of a test created a job,
  // and the store holds no failed version (only the fixture's model).
  void ExpectNoJobAndOnlyTheTinyModel() {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::ListJobsResponse jobs;
    ASSERT_TRUE(
        training_->ListJobs(&context, v1::ListJobsRequest(), &jobs).ok());
    EXPECT_EQ(jobs.jobs_size(), 0);
    grpc::ClientContext models_context;
    SetDeadline(&models_context);
    v1::ListModelsResponse models;
    ASSERT_TRUE(
        flow_->ListModels(&models_context, v1::ListModelsRequest(), &models)
            .ok());
    ASSERT_EQ(models.models_size(), 1);
    EXPECT_EQ(models.models(0).name(), "tiny");
    EXPECT_EQ(models.models(0).state(), v1::MODEL_STATE_LOADED);
  }

  ScratchDir dir_{"bad_input"};
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::FlowService::Stub> flow_;
  std::unique_ptr<v1::TrainingService::Stub> training_;
};

const std::set<grpc::StatusCode> kInvalid = {
    grpc::StatusCode::INVALID_ARGUMENT};
const std::set<grpc::StatusCode> kNotFound = {grpc::StatusCode::NOT_FOUND};

TEST_F(BadInputTest, ServingPoints) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<Case> cases = {
      {"good points (control)",
       [&] {
         return LogLikelihood(MakePoints(2, 2, {0, 0, 1, 1}));
       },
       {grpc::StatusCode::OK}},
      {"NaN in points",
       [&] {
         return LogLikelihood(MakePoints(2, 2, {0, 0, nan, 1}));
       },
       kInvalid},
      {"+Inf in points",
       [&] {
         return LogLikelihood(MakePoints(2, 2, {0, inf, 1, 1}));
       },
       kInvalid},
      {"-Inf in points",
       [&] {
         return LogLikelihood(MakePoints(2, 2, {0, 0, 1, -inf}));
       },
       kInvalid},
      {"3 columns for a 2-D model",
       [&] { return LogLikelihood(MakePoints(2, 3, Ramp(6))); }, kInvalid},
      {"1 column for a 2-D model",
       [&] { return LogLikelihood(MakePoints(4, 1, Ramp(4))); }, kInvalid},
      {"data of 12 bytes for rows=2, cols=2 (not a multiple of 4·d)",
       [&] { return LogLikelihood(MakePoints(2, 2, Ramp(3))); }, kInvalid},
      {"data of 15 bytes (not a multiple of 4)",
       [&] {
         v1::Points p = MakePoints(2, 2, Ramp(4));
         p.mutable_data()->pop_back();
         return LogLikelihood(p);
       },
       kInvalid},
      {"data longer than rows × cols",
       [&] { return LogLikelihood(MakePoints(2, 2, Ramp(6))); }, kInvalid},
      {"rows = 0", [&] { return LogLikelihood(MakePoints(0, 2, {})); },
       kInvalid},
      {"rows = -1", [&] { return LogLikelihood(MakePoints(-1, 2, {})); },
       kInvalid},
      {"cols = 0", [&] { return LogLikelihood(MakePoints(2, 0, {})); },
       kInvalid},
  };
  Run(cases);
}

TEST_F(BadInputTest, ServingLimits) {
  std::vector<Case> cases = {
      {"a point too far out for float32: (3e38, -3e38)",
       [&] {
         return LogLikelihood(MakePoints(2, 2, {0, 0, 3e38f, -3e38f}));
       },
       kInvalid,
       {"points.data", "row 1", "1e+30"}},
      {"a point far out but within the limit (control): (1e6, -1e6)",
       [&] {
         return LogLikelihood(MakePoints(1, 2, {1e6f, -1e6f}));
       },
       {grpc::StatusCode::OK}},
      {"rows above --max_samples_per_request",
       [&] {
         return LogLikelihood(
             MakePoints(kMaxSamples + 1, 2, Ramp(2 * (kMaxSamples + 1))));
       },
       kInvalid},
      {"rows × cols overflowing int64",
       [&] {
         return LogLikelihood(
             MakePoints(int64_t{1} << 62, int64_t{1} << 62, Ramp(4)));
       },
       kInvalid},
      {"LogLikelihood: Hutchinson probes = 5000",
       [&] {
         grpc::ClientContext context;
         SetDeadline(&context);
         v1::LogLikelihoodRequest request;
         request.mutable_model()->set_name("tiny");
         *request.mutable_points() = MakePoints(1, 2, {0, 0});
         request.set_method(v1::DIVERGENCE_METHOD_HUTCHINSON);
         request.set_probes(5000);
         v1::LogLikelihoodResponse response;
         return flow_->LogLikelihood(&context, request, &response);
       },
       kInvalid},
  };
  Run(cases);
}

TEST_F(BadInputTest, SampleAndModelLookups) {
  std::vector<Case> cases = {
      {"Sample n = 0", [&] { return Sample(0); }, kInvalid},
      {"Sample n = -5", [&] { return Sample(-5); }, kInvalid},
      {"Sample n above --max_samples_per_request",
       [&] { return Sample(kMaxSamples + 1); }, kInvalid},
      {"Sample n at the limit (control)",
       [&] { return Sample(kMaxSamples); },
       {grpc::StatusCode::OK}},
      {"Sample chunk_points above 1,048,576",
       [&] { return Sample(10, "tiny", 0, 1048577); }, kInvalid},
      {"Sample chunk_points negative",
       [&] { return Sample(10, "tiny", 0, -1); }, kInvalid},
      {"Sample of an unknown model", [&] { return Sample(10, "nope"); },
       kNotFound},
      {"Sample of an unknown version", [&] { return Sample(10, "tiny", 7); },
       kNotFound},
      {"Sample of a negative version", [&] { return Sample(10, "tiny", -1); },
       kInvalid},
      {"Sample of a model named ../x", [&] { return Sample(10, "../x"); },
       kInvalid},
      {"Sample of a model with an empty name", [&] { return Sample(10, ""); },
       kInvalid},
      {"LogLikelihood of an unknown model",
       [&] {
         return LogLikelihood(MakePoints(1, 2, {0, 0}), "nope");
       },
       kNotFound},
      {"LogLikelihood of an unknown version",
       [&] {
         return LogLikelihood(MakePoints(1, 2, {0, 0}), "tiny", 9);
       },
       kNotFound},
      {"GetModel of an unknown model", [&] { return GetModel("nope", 0); },
       kNotFound},
      {"GetModel of an unknown version", [&] { return GetModel("tiny", 2); },
       kNotFound},
      {"GetModel of a model named ..", [&] { return GetModel("..", 0); },
       kInvalid},
      {"LoadModel of an unknown model", [&] { return LoadModel("nope", 0); },
       kNotFound},
      {"LoadModel of an unknown version", [&] { return LoadModel("tiny", 3); },
       kNotFound},
      {"LoadModel of a model named ../models",
       [&] { return LoadModel("../models", 0); }, kInvalid},
      {"UnloadModel of an unknown model",
       [&] { return UnloadModel("nope", 0); }, kNotFound},
      {"UnloadModel of an unknown version",
       [&] { return UnloadModel("tiny", 4); }, kNotFound},
  };
  Run(cases);
}

// Jobs that do not exist or ids that name no job. None creates a job or a model
// version.
TEST_F(BadInputTest, TrainingJobLookups) {
  std::vector<Case> cases = {
      {"GetJob of an unknown job", [&] { return JobCall("GetJob", "job-999"); },
       kNotFound},
      {"CancelJob of an unknown job",
       [&] { return JobCall("CancelJob", "job-999"); }, kNotFound},
      {"WatchJob of an unknown job",
       [&] { return JobCall("WatchJob", "job-999"); }, kNotFound},
      {"GetJob with an empty id",
       [&] { return JobCall("GetJob", ""); },
       {grpc::StatusCode::NOT_FOUND, grpc::StatusCode::INVALID_ARGUMENT}},
      {"GetJob of ../jobs",
       [&] { return JobCall("GetJob", "../jobs"); },
       {grpc::StatusCode::NOT_FOUND, grpc::StatusCode::INVALID_ARGUMENT}},
  };
  Run(cases);
  ExpectNoJobAndOnlyTheTinyModel();
}

// Hyper-parameters out of range, of the wrong kind, or too large for the data.
// Step sizes out of range: h0, h_max, rho. None creates a job or a model
// version.
TEST_F(BadInputTest, TrainingStepSizes) {
  auto with = [](std::function<void(v1::CreateTrainingJobRequest&)> change) {
    v1::CreateTrainingJobRequest request = TrainingRequest();
    change(request);
    return request;
  };
  std::vector<Case> cases = {
      {"h0 = -1",
       [&] {
         return CreateJob(
             with([](auto& r) { r.mutable_hyperparameters()->set_h0(-1); }));
       },
       kInvalid},
      {"h0 = 0",
       [&] {
         return CreateJob(
             with([](auto& r) { r.mutable_hyperparameters()->set_h0(0); }));
       },
       kInvalid},
      {"h0 = NaN",
       [&] {
         return CreateJob(with([](auto& r) {
           r.mutable_hyperparameters()->set_h0(std::nan(""));
         }));
       },
       kInvalid},
      {"h_max = 0",
       [&] {
         return CreateJob(
             with([](auto& r) { r.mutable_hyperparameters()->set_h_max(0); }));
       },
       kInvalid},
      {"rho = -1",
       [&] {
         return CreateJob(
             with([](auto& r) { r.mutable_hyperparameters()->set_rho(-1); }));
       },
       kInvalid},
  };
  Run(cases);
  ExpectNoJobAndOnlyTheTinyModel();
}

// Iterations, blocks, rates, widths, activations and batches out of range or
// too large for the data. None creates a job or a model version.
TEST_F(BadInputTest, TrainingSchedulesAndShapes) {
  auto with = [](std::function<void(v1::CreateTrainingJobRequest&)> change) {
    v1::CreateTrainingJobRequest request = TrainingRequest();
    change(request);
    return request;
  };
  std::vector<Case> cases = {
      {"iterations = 0",
       [&] {
         return CreateJob(with(
             [](auto& r) { r.mutable_hyperparameters()->set_iterations(0); }));
       },
       kInvalid},
      {"blocks = 0",
       [&] {
         return CreateJob(
             with([](auto& r) { r.mutable_hyperparameters()->set_blocks(0); }));
       },
       kInvalid},
      {"learning_rate = 2",
       [&] {
         return CreateJob(with([](auto& r) {
           r.mutable_hyperparameters()->set_learning_rate(2);
         }));
       },
       kInvalid},
      {"width = 0",
       [&] {
         return CreateJob(
             with([](auto& r) { r.mutable_hyperparameters()->set_width(0); }));
       },
       kInvalid},
      {"activation = relu6",
       [&] {
         return CreateJob(with([](auto& r) {
           r.mutable_hyperparameters()->set_activation("relu6");
         }));
       },
       kInvalid},
      {"batch_size larger than the data (1000 > 500)",
       [&] {
         return CreateJob(with([](auto& r) {
           r.mutable_hyperparameters()->set_batch_size(1000);
         }));
       },
       kInvalid},
  };
  Run(cases);
  ExpectNoJobAndOnlyTheTinyModel();
}

// Data sources that do not exist, leave --data_dir, or hold values too far out
// for float32; generator specs over their bounds; bad model names. None creates
// Data files that do not exist, leave --data_dir, or hold values too far out
// Data files that do not exist or leave --data_dir. None creates a job or a
// model version.
TEST_F(BadInputTest, TrainingDataFiles) {
  auto with = [](std::function<void(v1::CreateTrainingJobRequest&)> change) {
    v1::CreateTrainingJobRequest request = TrainingRequest();
    change(request);
    return request;
  };
  std::vector<Case> cases = {
      {"data_file ../x.csv",
       [&] {
         return CreateJob(with([](auto& r) { r.set_data_file("../x.csv"); }));
       },
       kInvalid},
      {"data_file ../outside.csv (exists, outside --data_dir)",
       [&] {
         return CreateJob(
             with([](auto& r) { r.set_data_file("../outside.csv"); }));
       },
       kInvalid},
      {"data_file as an absolute path",
       [&] {
         const std::string path = dir_.Sub("outside.csv");
         return CreateJob(with([&](auto& r) { r.set_data_file(path); }));
       },
       kInvalid},
      {"data_file as an absolute path into --data_dir",
       [&] {
         const std::string path = server_->data_dir() + "/ok.csv";
         return CreateJob(with([&](auto& r) { r.set_data_file(path); }));
       },
       kInvalid},
      {"data_file through a symlink out of --data_dir",
       [&] {
         std::error_code ec;
         std::filesystem::create_symlink(dir_.Sub("outside.csv"),
                                         server_->data_dir() + "/link.csv", ec);
         return CreateJob(with([](auto& r) {
           r.set_data_file("link.csv");
           r.mutable_hyperparameters()->set_batch_size(3);
         }));
       },
       kInvalid},
      {"data_file that does not exist",
       [&] {
         return CreateJob(with([](auto& r) { r.set_data_file("none.csv"); }));
       },
       kNotFound},
  };
  Run(cases);
  ExpectNoJobAndOnlyTheTinyModel();
}

// Training data with a value or a row too far out for float32 (its squared norm
// overflows the loss), from a file or an upload. None creates a job or a model
// version.
TEST_F(BadInputTest, RowsTooFarOutForFloat32) {
  auto with = [](std::function<void(v1::CreateTrainingJobRequest&)> change) {
    v1::CreateTrainingJobRequest request = TrainingRequest();
    change(request);
    return request;
  };
  std::vector<Case> cases = {
      {"data_file with a row (1e20, 1e20) among 200 points",
       [&] {
         std::ofstream out(server_->data_dir() + "/outlier.csv");
         for (int i = 0; i < 200; ++i)
           out << 0.01 * i << "," << -0.01 * i << "\n";
         out << "1e20,1e20\n";
         out.close();
         return CreateJob(
             with([](auto& r) { r.set_data_file("outlier.csv"); }));
       },
       kInvalid,
       {"data_file", "row 200", "too far out"}},
      {"data_file with 1e40 (Inf in float32)",
       [&] {
         std::ofstream out(server_->data_dir() + "/huge.csv");
         for (int i = 0; i < 200; ++i) out << 0.01 * i << ",1e40\n";
         out.close();
         return CreateJob(with([](auto& r) { r.set_data_file("huge.csv"); }));
       },
       kInvalid,
       {"data_file", "row 0"}},
      {"Upload: 10,000 normal points and one row (1e20, 1e20)",
       [&] {
         v1::UploadChunk first;
         *first.mutable_job() = TrainingRequest();
         std::vector<float> values = Normal(10000);
         values.push_back(1e20f);
         values.push_back(1e20f);
         // Two chunks, each within --max_message_bytes.
         const std::vector<float> head(values.begin(), values.begin() + 10000);
         const std::vector<float> tail(values.begin() + 10000, values.end());
         v1::UploadChunk a;
         *a.mutable_points() = MakePoints(5000, 2, head);
         v1::UploadChunk b;
         *b.mutable_points() = MakePoints(5001, 2, tail);
         return Upload({first, a, b});
       },
       kInvalid,
       {"points.data", "row 5000", "too far out"}},
  };
  Run(cases);
  ExpectNoJobAndOnlyTheTinyModel();
}

// Generator specs over their bounds, no data source, and bad model names. None
// creates a job or a model version.
TEST_F(BadInputTest, TrainingGeneratorsAndNames) {
  auto with = [](std::function<void(v1::CreateTrainingJobRequest&)> change) {
    v1::CreateTrainingJobRequest request = TrainingRequest();
    change(request);
    return request;
  };
  std::vector<Case> cases = {
      {"an unknown generator",
       [&] {
         return CreateJob(with(
             [](auto& r) { r.mutable_generator()->set_name("9gaussians"); }));
       },
       kInvalid},
      {"generator n = -1",
       [&] {
         return CreateJob(
             with([](auto& r) { r.mutable_generator()->set_n(-1); }));
       },
       kInvalid},
      {"no data source",
       [&] { return CreateJob(with([](auto& r) { r.clear_generator(); })); },
       kInvalid},
      {"a model name with a slash",
       [&] {
         return CreateJob(with([](auto& r) { r.set_model_name("a/b"); }));
       },
       kInvalid},
      {"generator gmm of dim 100,000",
       [&] {
         return CreateJob(with([](auto& r) {
           r.mutable_generator()->set_name("gmm:100000:2:1");
         }));
       },
       kInvalid,
       {"generator.name", "4096"}},
      {"generator gmm of 1,000 dims × 5,000 components",
       [&] {
         return CreateJob(with([](auto& r) {
           r.mutable_generator()->set_name("gmm:1000:5000:1");
         }));
       },
       kInvalid,
       {"generator.name", "1000000"}},
      {"generator gmm of 4,000 dims × n = 100,000",
       [&] {
         return CreateJob(with([](auto& r) {
           r.mutable_generator()->set_name("gmm:4000:2:1");
           r.mutable_generator()->set_n(100000);
         }));
       },
       kInvalid,
       {"generator.n", "50000000"}},
  };
  Run(cases);
  ExpectNoJobAndOnlyTheTinyModel();
}

// TrainBlock on what does not exist or with bad settings, and uploads that are
// TrainBlock on what does not exist or with bad settings or data. None creates
// a job or a model version.
TEST_F(BadInputTest, TrainBlockRequests) {
  std::vector<Case> cases = {
      {"TrainBlock of an unknown model",
       [&] {
         v1::TrainBlockRequest request;
         request.mutable_model()->set_name("nope");
         return TrainBlock(request);
       },
       kNotFound},
      {"TrainBlock of an unknown version",
       [&] {
         v1::TrainBlockRequest request;
         request.mutable_model()->set_name("tiny");
         request.mutable_model()->set_version(5);
         return TrainBlock(request);
       },
       kNotFound},
      {"TrainBlock with iterations = 0",
       [&] {
         v1::TrainBlockRequest request;
         request.mutable_model()->set_name("tiny");
         request.mutable_hyperparameters()->set_iterations(0);
         return TrainBlock(request);
       },
       kInvalid},
      {"TrainBlock with h0 = -0.5",
       [&] {
         v1::TrainBlockRequest request;
         request.mutable_model()->set_name("tiny");
         request.mutable_hyperparameters()->set_h0(-0.5);
         return TrainBlock(request);
       },
       kInvalid},
      {"TrainBlock on 3-D data for a 2-D model",
       [&] {
         v1::TrainBlockRequest request;
         request.mutable_model()->set_name("tiny");
         request.mutable_generator()->set_name("gmm:3:2:1");
         request.mutable_generator()->set_n(500);
         return TrainBlock(request);
       },
       kInvalid},
  };
  Run(cases);
  ExpectNoJobAndOnlyTheTinyModel();
}

// Uploads that are broken or do not fit their settings. None creates a job or a
// Uploads that are broken or do not fit their settings. None creates a job or a
// model version.
TEST_F(BadInputTest, UploadRequests) {
  std::vector<Case> cases = {
      {"Upload: NaN in a chunk",
       [&] {
         v1::UploadChunk first;
         *first.mutable_job() = TrainingRequest();
         v1::UploadChunk bad;
         *bad.mutable_points() = MakePoints(
             2, 2, {0, std::numeric_limits<float>::quiet_NaN(), 1, 1});
         return Upload({first, bad});
       },
       kInvalid},
      {"Upload: chunks of different widths",
       [&] {
         v1::UploadChunk first;
         *first.mutable_job() = TrainingRequest();
         v1::UploadChunk a;
         *a.mutable_points() = MakePoints(2, 2, Ramp(4));
         v1::UploadChunk b;
         *b.mutable_points() = MakePoints(2, 3, Ramp(6));
         return Upload({first, a, b});
       },
       kInvalid},
      {"Upload: points before the job",
       [&] {
         v1::UploadChunk a;
         *a.mutable_points() = MakePoints(2, 2, Ramp(4));
         return Upload({a});
       },
       kInvalid},
      {"Upload: no points at all",
       [&] {
         v1::UploadChunk first;
         *first.mutable_job() = TrainingRequest();
         return Upload({first});
       },
       kInvalid},
      {"Upload: batch larger than the uploaded points",
       [&] {
         v1::UploadChunk first;
         *first.mutable_job() = TrainingRequest();  // batch_size 100
         v1::UploadChunk a;
         *a.mutable_points() = MakePoints(10, 2, Ramp(20));
         return Upload({first, a});
       },
       kInvalid},
  };
  Run(cases);
  ExpectNoJobAndOnlyTheTinyModel();
}

TEST_F(BadInputTest, OversizeMessages) {
  // 10,000 points × 2 × 4 bytes = 80,000 bytes > --max_message_bytes.
  const int64_t rows = 10000;
  ASSERT_GT(rows * 2 * 4, kMaxMessageBytes);
  const std::set<grpc::StatusCode> too_big = {
      grpc::StatusCode::RESOURCE_EXHAUSTED, grpc::StatusCode::INVALID_ARGUMENT};
  std::vector<Case> cases = {
      {"LogLikelihood message above --max_message_bytes",
       [&] { return LogLikelihood(MakePoints(rows, 2, Ramp(rows * 2))); },
       too_big},
      {"Upload chunk above --max_message_bytes",
       [&] {
         v1::UploadChunk first;
         *first.mutable_job() = TrainingRequest();
         v1::UploadChunk a;
         *a.mutable_points() = MakePoints(rows, 2, Ramp(rows * 2));
         return Upload({first, a});
       },
       too_big},
      {"CreateTrainingJob with a 100 KB model name",
       [&] {
         v1::CreateTrainingJobRequest request = TrainingRequest();
         request.set_model_name(std::string(100000, 'a'));
         return CreateJob(request);
       },
       too_big},
      {"a small request after them (control)",
       [&] {
         return LogLikelihood(MakePoints(2, 2, {0, 0, 1, 1}));
       },
       {grpc::StatusCode::OK}},
  };
  Run(cases);
}

// LimitsTest runs a server whose message, memory and queue limits are small
// enough to reach with small models: a 2-D one ("tiny"), a 600-D one
// ("wide") and a 4,096-D one of 3 blocks ("huge": one point of its
// trajectory, 5 stages of 16,384 bytes, is larger than a message).
class LimitsTest : public BadInputTest {
 protected:
  static constexpr int64_t kMaxRequestBytes = int64_t{256} << 20;
  // Above "huge"'s 36,868 parameters a block, below "bigblock"'s 67,074.
  static constexpr int64_t kMaxBlockParams = 40000;

  std::vector<std::string> Flags() const override {
    return {
        "--max_samples_per_request=1000000",
        absl::StrCat("--max_message_bytes=", kMaxMessageBytes),
        absl::StrCat("--max_request_bytes=", kMaxRequestBytes),
        "--max_queued_jobs=2",
        absl::StrCat("--max_block_params=", kMaxBlockParams),
        "--max_uploads=1",
    };
  }

  void WriteModels() override {
    BadInputTest::WriteModels();
    UntrainedModelSpec wide;
    wide.dim = 600;
    wide.blocks = 1;
    wide.steps = 1;
    ASSERT_OK(WriteUntrainedModel(dir_.Sub("models"), "wide", 1, wide));
    UntrainedModelSpec huge;
    huge.dim = 4096;
    huge.blocks = 3;
    huge.width = 4;
    huge.depth = 1;
    huge.steps = 1;
    ASSERT_OK(WriteUntrainedModel(dir_.Sub("models"), "huge", 1, huge));
    UntrainedModelSpec big;
    big.blocks = 1;
    big.width = 256;
    ASSERT_OK(WriteUntrainedModel(dir_.Sub("models"), "bigblock", 1, big));
  }

  // SampleWithinLimit() streams a Sample and fails unless every chunk fits
  // --max_message_bytes, the chunks hold all n points in order, and the
  // chunk size was lowered (more chunks than the request asked for).
  grpc::Status SampleWithinLimit(const std::string& model, int64_t n,
                                 int64_t chunk_points, bool trajectory) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::SampleRequest request;
    request.mutable_model()->set_name(model);
    request.set_n(n);
    request.set_seed(3);
    request.set_chunk_points(chunk_points);
    request.set_trajectory(trajectory);
    auto reader = flow_->Sample(&context, request);
    v1::SampleChunk chunk;
    int64_t rows = 0;
    int chunks = 0;
    std::string problem;
    while (reader->Read(&chunk)) {
      ++chunks;
      if (static_cast<int64_t>(chunk.ByteSizeLong()) > kMaxMessageBytes) {
        problem = absl::StrCat("chunk of ", chunk.ByteSizeLong(), " bytes");
      }
      if (chunk.offset() != rows) problem = "chunks out of order";
      if (trajectory && chunk.stages_size() != 2) problem = "stages missing";
      rows += chunk.points().rows();
    }
    const grpc::Status status = reader->Finish();
    if (!status.ok()) return status;
    if (rows != n) problem = absl::StrCat(rows, " rows of ", n);
    if (chunks < 2) problem = "chunk_points was not lowered";
    if (!problem.empty()) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "test: " + problem);
    }
    return grpc::Status::OK;
  }

  grpc::Status Hutchinson(int64_t rows, int64_t probes) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::LogLikelihoodRequest request;
    request.mutable_model()->set_name("tiny");
    *request.mutable_points() = MakePoints(rows, 2, Ramp(2 * rows));
    request.set_method(v1::DIVERGENCE_METHOD_HUTCHINSON);
    request.set_probes(probes);
    v1::LogLikelihoodResponse response;
    return flow_->LogLikelihood(&context, request, &response);
  }

  // CreateLongJob() queues a job that trains until it is cancelled.
  grpc::Status CreateLongJob(std::string* id) {
    v1::CreateTrainingJobRequest request = TrainingRequest();
    request.mutable_hyperparameters()->set_iterations(10000000);
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::Job job;
    const grpc::Status status =
        training_->CreateTrainingJob(&context, request, &job);
    *id = job.id();
    return status;
  }
};

TEST_F(LimitsTest, MessageAndMemoryLimits) {
  const std::set<grpc::StatusCode> exhausted = {
      grpc::StatusCode::RESOURCE_EXHAUSTED};
  std::vector<Case> cases = {
      {"Sample of a 600-D model with n = chunk_points = 1,000,000",
       [&] { return Sample(1000000, "wide", 0, 1000000); },
       exhausted,
       {"--max_request_bytes"}},
      {"Sample of a 600-D model, chunk_points lowered to fit "
       "--max_message_bytes",
       [&] {
         return SampleWithinLimit("wide", 300, 1000000, /*trajectory=*/false);
       },
       {grpc::StatusCode::OK}},
      {"Sample of a 600-D model with its trajectory, chunk_points lowered",
       [&] {
         return SampleWithinLimit("wide", 100, 1000000, /*trajectory=*/true);
       },
       {grpc::StatusCode::OK}},
      {"Sample trajectory of a 4,096-D model of 3 blocks: one point exceeds "
       "--max_message_bytes",
       [&] {
         grpc::ClientContext context;
         SetDeadline(&context);
         v1::SampleRequest request;
         request.mutable_model()->set_name("huge");
         request.set_n(10);
         request.set_chunk_points(1);
         request.set_trajectory(true);
         auto reader = flow_->Sample(&context, request);
         v1::SampleChunk chunk;
         while (reader->Read(&chunk)) {
         }
         return reader->Finish();
       },
       kInvalid,
       {"chunk_points", "--max_message_bytes"}},
      {"LogLikelihood of 1,000 points × 1,024 Hutchinson probes",
       [&] { return Hutchinson(1000, 1024); },
       exhausted,
       {"--max_request_bytes"}},
      {"LogLikelihood of 10 points × 1,024 probes (control)",
       [&] { return Hutchinson(10, 1024); },
       {grpc::StatusCode::OK}},
      {"LogLikelihood whose response exceeds --max_message_bytes",
       [&] { return LogLikelihood(MakePoints(8188, 2, Ramp(2 * 8188))); },
       kInvalid,
       {"--max_message_bytes"}},
  };
  Run(cases);
}

TEST_F(LimitsTest, BlockParameters) {
  std::vector<Case> cases = {
      {"CreateTrainingJob of 2-D blocks of width 256 (67,074 parameters)",
       [&] {
         v1::CreateTrainingJobRequest request = TrainingRequest();
         request.mutable_hyperparameters()->set_width(256);
         return CreateJob(request);
       },
       kInvalid,
       {"--max_block_params", "67074"}},
      {"TrainBlock of width 256 on a loaded model",
       [&] {
         v1::TrainBlockRequest request;
         request.mutable_model()->set_name("tiny");
         request.mutable_hyperparameters()->set_width(256);
         return TrainBlock(request);
       },
       kInvalid,
       {"--max_block_params"}},
      {"Sample of a stored model whose block is over the limit",
       [&] { return Sample(10, "bigblock"); },
       {grpc::StatusCode::FAILED_PRECONDITION},
       {"--max_block_params"}},
      {"Sample of a model within the limit (control)",
       [&] { return Sample(10, "huge"); },
       {grpc::StatusCode::OK}},
  };
  Run(cases);
}

TEST_F(LimitsTest, ConcurrentUploads) {
  // One upload holds the only place (--max_uploads=1) once the server has
  // read its first message.
  grpc::ClientContext held_context;
  v1::Job held_job;
  auto held = training_->UploadTrainingJob(&held_context, &held_job);
  v1::UploadChunk first;
  *first.mutable_job() = TrainingRequest();
  ASSERT_TRUE(held->Write(first));
  absl::SleepFor(absl::Milliseconds(500));
  v1::UploadChunk points;
  *points.mutable_points() = MakePoints(500, 2, Normal(500));
  std::vector<Case> cases = {
      {"UploadTrainingJob while another upload is in progress",
       [&] {
         return Upload({first, points});
       },
       {grpc::StatusCode::RESOURCE_EXHAUSTED},
       {"--max_uploads"}},
  };
  Run(cases);
  // A cancelled upload frees its place and creates no job.
  held_context.TryCancel();
  EXPECT_EQ(held->Finish().error_code(), grpc::StatusCode::CANCELLED);
  grpc::Status again;
  for (int i = 0; i < 50; ++i) {
    again = Upload({first, points});
    if (again.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(again.ok()) << again.error_message();
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::ListJobsResponse jobs;
  ASSERT_TRUE(training_->ListJobs(&context, v1::ListJobsRequest(), &jobs).ok());
  EXPECT_EQ(jobs.jobs_size(), 1);  // only the upload that finished
  for (const v1::Job& job : jobs.jobs()) JobCall("CancelJob", job.id());
}

TEST_F(LimitsTest, QueuedJobs) {
  // With --max_queued_jobs=2 one job runs and two wait; the first refusal
  // comes at the third or fourth job (the runner takes the first job
  // asynchronously).
  std::vector<std::string> ids;
  grpc::Status refused;
  for (int i = 0; i < 4 && refused.ok(); ++i) {
    std::string id;
    const grpc::Status status = CreateLongJob(&id);
    if (status.ok()) {
      ids.push_back(id);
    } else {
      refused = status;
    }
  }
  ASSERT_GE(ids.size(), 2u);
  ASSERT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << refused.error_message();
  EXPECT_TRUE(absl::StrContains(refused.error_message(), "--max_queued_jobs"))
      << refused.error_message();
  const std::set<grpc::StatusCode> exhausted = {
      grpc::StatusCode::RESOURCE_EXHAUSTED};
  std::vector<Case> cases = {
      {"CreateTrainingJob with a full queue",
       [&] { return CreateJob(TrainingRequest()); },
       exhausted,
       {"--max_queued_jobs"}},
      {"UploadTrainingJob with a full queue",
       [&] {
         v1::UploadChunk first;
         *first.mutable_job() = TrainingRequest();
         v1::UploadChunk a;
         *a.mutable_points() = MakePoints(500, 2, Normal(500));
         return Upload({first, a});
       },
       exhausted,
       {"--max_queued_jobs"}},
      {"TrainBlock with a full queue",
       [&] {
         v1::TrainBlockRequest request;
         request.mutable_model()->set_name("tiny");
         return TrainBlock(request);
       },
       exhausted,
       {"--max_queued_jobs"}},
  };
  Run(cases);
  // Cancelling frees the queue: a new job is accepted again.
  for (const std::string& id : ids) {
    EXPECT_TRUE(JobCall("CancelJob", id).ok()) << id;
  }
  std::string id;
  const grpc::Status again = CreateLongJob(&id);
  EXPECT_TRUE(again.ok()) << again.error_message();
  if (again.ok()) EXPECT_TRUE(JobCall("CancelJob", id).ok());
}

// StoreTest runs a server whose store is already full (--max_store_bytes=1:
// the "tiny" model alone exceeds it): new jobs of every kind are refused
// before any work.
class StoreTest : public BadInputTest {
 protected:
  std::vector<std::string> Flags() const override {
    return {"--max_store_bytes=1"};
  }
};

TEST_F(StoreTest, AFullStoreRefusesNewJobs) {
  const std::set<grpc::StatusCode> exhausted = {
      grpc::StatusCode::RESOURCE_EXHAUSTED};
  std::vector<Case> cases = {
      {"CreateTrainingJob with a full store",
       [&] { return CreateJob(TrainingRequest()); },
       exhausted,
       {"--max_store_bytes"}},
      {"UploadTrainingJob with a full store",
       [&] {
         v1::UploadChunk first;
         *first.mutable_job() = TrainingRequest();
         v1::UploadChunk a;
         *a.mutable_points() = MakePoints(500, 2, Normal(500));
         return Upload({first, a});
       },
       exhausted,
       {"--max_store_bytes"}},
      {"TrainBlock with a full store",
       [&] {
         v1::TrainBlockRequest request;
         request.mutable_model()->set_name("tiny");
         return TrainBlock(request);
       },
       exhausted,
       {"--max_store_bytes"}},
  };
  Run(cases);
}

// RetentionTest keeps two versions of a name (--keep_versions=2).
class RetentionTest : public BadInputTest {
 protected:
  std::vector<std::string> Flags() const override {
    return {"--keep_versions=2"};
  }
};

TEST_F(RetentionTest, APublishRemovesTheOldestVersionsOfItsName) {
  std::unique_ptr<Client> client = server_->NewClient();
  TrainingData data;
  data.generator = "8gaussians";
  data.n = 500;
  const v1::Hyperparameters hp = TrainingRequest().hyperparameters();
  for (int i = 1; i <= 3; ++i) {
    ASSERT_OK_AND_ASSIGN(const v1::Job job,
                         client->CreateTrainingJob("kept", data, hp));
    ASSERT_OK_AND_ASSIGN(const v1::Job done,
                         client->WatchJob(job.id(), nullptr));
    ASSERT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED) << done.DebugString();
    EXPECT_EQ(done.model_version(), i);
  }
  EXPECT_EQ(client->GetModel("kept", 1).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_OK(client->GetModel("kept", 2).status());
  EXPECT_OK(client->GetModel("kept", 3).status());
  EXPECT_FALSE(std::filesystem::exists(
      ModelVersionDir(server_->model_dir(), "kept", 1)));
  EXPECT_TRUE(std::filesystem::exists(
      ModelVersionDir(server_->model_dir(), "kept", 3)));
  EXPECT_OK(client->GetModel("tiny", 1).status());  // other names untouched
  EXPECT_TRUE(ListModels().ok());
}

// UploadIdleTest runs a server that ends uploads idle for a second.
class UploadIdleTest : public BadInputTest {
 protected:
  std::vector<std::string> Flags() const override {
    return {"--upload_idle_timeout=1s", "--max_uploads=1"};
  }

  // Stall() sends `chunks` and then nothing, without closing the stream;
  // Finish() returns once the server gives up.
  grpc::Status Stall(const std::vector<v1::UploadChunk>& chunks) {
    return Upload(chunks, /*stall=*/true);
  }

  int JobCount() {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::ListJobsResponse jobs;
    if (!training_->ListJobs(&context, v1::ListJobsRequest(), &jobs).ok()) {
      return -1;
    }
    return jobs.jobs_size();
  }
};

TEST_F(UploadIdleTest, AStalledUploadEndsAndCreatesNoJob) {
  v1::UploadChunk first;
  *first.mutable_job() = TrainingRequest();
  v1::UploadChunk points;
  *points.mutable_points() = MakePoints(500, 2, Normal(500));
  const std::set<grpc::StatusCode> deadline = {
      grpc::StatusCode::DEADLINE_EXCEEDED};
  std::vector<Case> cases = {
      {"UploadTrainingJob that stalls before its first message",
       [&] { return Stall({}); },
       deadline,
       {"--upload_idle_timeout"}},
      {"UploadTrainingJob that stalls after its points",
       [&] {
         return Stall({first, points});
       },
       deadline,
       {"--upload_idle_timeout", "no job"}},
      {"UploadTrainingJob that keeps sending (control)",
       [&] {
         grpc::ClientContext context;
         SetDeadline(&context);
         v1::Job job;
         auto writer = training_->UploadTrainingJob(&context, &job);
         writer->Write(first);
         for (int i = 0; i < 4; ++i) {
           absl::SleepFor(absl::Milliseconds(400));  // < 1 s apart
           writer->Write(points);
         }
         writer->WritesDone();
         return writer->Finish();
       },
       {grpc::StatusCode::OK}},
  };
  Run(cases);
  // Only the control created a job, and the stalled uploads gave their
  // place (--max_uploads=1) back.
  EXPECT_EQ(JobCount(), 1);
  EXPECT_TRUE(Upload({first, points}).ok());
  EXPECT_EQ(JobCount(), 2);
}

TEST_F(UploadIdleTest, ACancelledUploadCreatesNoJob) {
  v1::UploadChunk first;
  *first.mutable_job() = TrainingRequest();
  v1::UploadChunk points;
  *points.mutable_points() = MakePoints(500, 2, Normal(500));
  for (int i = 0; i < 5; ++i) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::Job job;
    auto writer = training_->UploadTrainingJob(&context, &job);
    ASSERT_TRUE(writer->Write(first));
    ASSERT_TRUE(writer->Write(points));
    context.TryCancel();
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  absl::SleepFor(absl::Milliseconds(500));  // any late creation shows up
  EXPECT_EQ(JobCount(), 0);
  EXPECT_TRUE(ListModels().ok());
}

}  // namespace
}  // namespace integration
}  // namespace jkoflow

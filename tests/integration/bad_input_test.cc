// The bad-input matrix against a real jkoflow-server: every malformed or
// out-of-range request gets the gRPC code of DESIGN.md §4 (never INTERNAL,
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
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

// CodeName() names a gRPC code as Abseil does (the numbering is shared).
std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

// A Case is one bad request and the codes it may get.
struct Case {
  std::string name;
  std::function<grpc::Status()> call;
  std::set<grpc::StatusCode> expected;
};

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    UntrainedModelSpec spec;
    ASSERT_OK(WriteUntrainedModel(dir_.Sub("models"), "tiny", 1, spec));
    ServerProcess::Options options;
    options.dir = dir_.path();
    options.flags = {
        absl::StrCat("--max_samples_per_request=", kMaxSamples),
        absl::StrCat("--max_message_bytes=", kMaxMessageBytes),
    };
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

  grpc::Status Upload(const std::vector<v1::UploadChunk>& chunks) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::Job job;
    auto writer = training_->UploadTrainingJob(&context, &job);
    for (const v1::UploadChunk& chunk : chunks) {
      if (!writer->Write(chunk)) break;
    }
    writer->WritesDone();
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

  ScratchDir dir_{"bad_input"};
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::FlowService::Stub> flow_;
  std::unique_ptr<v1::TrainingService::Stub> training_;
};

const std::set<grpc::StatusCode> kInvalid = {
    grpc::StatusCode::INVALID_ARGUMENT};
const std::set<grpc::StatusCode> kNotFound = {grpc::StatusCode::NOT_FOUND};

TEST_F(BadInputTest, ServingRequests) {
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

TEST_F(BadInputTest, TrainingRequests) {
  auto with = [](std::function<void(v1::CreateTrainingJobRequest&)> change) {
    v1::CreateTrainingJobRequest request = TrainingRequest();
    change(request);
    return request;
  };
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

}  // namespace
}  // namespace integration
}  // namespace jkoflow

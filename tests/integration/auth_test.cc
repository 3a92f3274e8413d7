// Bearer-token authentication and roles (--auth_token_file) against a real
// jkoflow-server: missing and unknown tokens, each role's reach, health
// without a token, the start-up checks on the token file, SIGHUP reloads
// (a good one takes effect, a bad one keeps the old tokens), and the
// ownership of model names and jobs between train tokens.

#include <google/protobuf/descriptor.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "inference/grpc_service.pb.h"
#include "jkoflow/v1/flow.pb.h"
#include "jkoflow/v1/training.pb.h"
#include "scratch_dir.h"
#include "server_process.h"
#include "status_assert.h"
#include "tiny_model.h"

namespace jkoflow {
namespace integration {
namespace {

constexpr char kTokens[] =
    "# test tokens\n"
    "admin-token-1 admin\n"
    "\n"
    "train-token-1 train\n"
    "train-token-2 train\n"
    "read-token-1 read\n";

// WriteFile() replaces `path` with `text` and sets its mode.
void WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << text;
  }
  ASSERT_EQ(chmod(path.c_str(), mode), 0) << path;
}

std::unique_ptr<Client> ClientWithToken(const ServerProcess& server,
                                        const std::string& token) {
  ClientOptions options;
  options.server = server.address();
  options.timeout = absl::Seconds(30);
  options.security.token = token;
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Create(std::move(options));
  return client.ok() ? *std::move(client) : nullptr;
}

// EmptyCall() calls `method` ("/pkg.Service/Method") with an empty request
// message and, unless `token` is empty, "authorization: Bearer token",
// whatever the method's kind (a stream gets that one message); returns the
// call's status and, in `response` when given, the answer.
grpc::Status EmptyCall(const std::string& address, const std::string& method,
                       const std::string& token,
                       grpc::ByteBuffer* response = nullptr) {
  auto channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer unused;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request,
                 response != nullptr ? response : &unused,
                 [&done](grpc::Status status) { done.set_value(status); });
  return done.get_future().get();
}

// HealthCheck() calls grpc.health.v1.Health/Check for the whole server
// (HealthCheckRequest{service: ""}) with no metadata and returns the status
// (`serving` set on SERVING).
grpc::Status HealthCheck(const std::string& address, bool* serving) {
  grpc::ByteBuffer response;
  const grpc::Status status =
      EmptyCall(address, "/grpc.health.v1.Health/Check", "", &response);
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (status.ok() && response.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices) {
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  *serving = bytes == std::string("\x08\x01", 2);  // status: SERVING
  return status;
}

// ServedMethods() are the full names of every method of the services the
// server registers, read from their proto descriptors.
std::vector<std::string> ServedMethods() {
  const google::protobuf::FileDescriptor* files[] = {
      v1::ListModelsRequest::descriptor()->file(),
      v1::CreateTrainingJobRequest::descriptor()->file(),
      inference::ModelInferRequest::descriptor()->file(),
  };
  std::vector<std::string> methods;
  for (const google::protobuf::FileDescriptor* file : files) {
    for (int s = 0; s < file->service_count(); ++s) {
      const google::protobuf::ServiceDescriptor* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        methods.push_back("/" + service->full_name() + "/" +
                          service->method(m)->name());
      }
    }
  }
  return methods;
}

// WaitForLog() waits until the server's stderr contains `text`.
bool WaitForLog(const ServerProcess& server, const std::string& text) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    if (absl::StrContains(server.Log(), text)) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

// FourPoints() is a small 2-D upload.
PointMatrix FourPoints() {
  PointMatrix points;
  points.rows = 4;
  points.cols = 2;
  points.values = {0, 0, 1, 1, 2, 2, 3, 3};
  return points;
}

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_file_ = dir_.Sub("tokens");
    WriteFile(token_file_, kTokens, 0600);
    ServerProcess::Options options;
    options.dir = dir_.path();
    options.flags = {"--auth_token_file=" + token_file_};
    ASSERT_OK_AND_ASSIGN(server_, ServerProcess::Start(options));
  }

  ScratchDir dir_{"auth"};
  std::string token_file_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(AuthTest, MissingOrUnknownTokenIsUnauthenticated) {
  auto anonymous = ClientWithToken(*server_, "");
  ASSERT_NE(anonymous, nullptr);
  EXPECT_EQ(anonymous->ListModels().status().code(),
            absl::StatusCode::kUnauthenticated);
  auto stranger = ClientWithToken(*server_, "no-such-token");
  ASSERT_NE(stranger, nullptr);
  EXPECT_EQ(stranger->ListModels().status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(stranger->GetJob("x").status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthTest, EachRoleReachesItsMethodsOnly) {
  auto reader = ClientWithToken(*server_, "read-token-1");
  auto trainer = ClientWithToken(*server_, "train-token-1");
  auto admin = ClientWithToken(*server_, "admin-token-1");
  ASSERT_TRUE(reader && trainer && admin);

  EXPECT_OK(reader->ListModels());
  EXPECT_OK(reader->ListJobs());
  TrainingData data;
  data.generator = "8gaussians";
  data.n = 500;
  data.seed = 1;
  v1::Hyperparameters h;
  h.set_blocks(1);
  h.set_iterations(1);
  EXPECT_EQ(reader->CreateTrainingJob("m", data, h).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(reader->UploadTrainingJob("m", FourPoints(), h).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(reader->CancelJob("x").status().code(),
            absl::StatusCode::kPermissionDenied);

  // Train reaches CancelJob (NOT_FOUND: the check passed) but not LoadModel.
  EXPECT_EQ(trainer->CancelJob("no-such-job").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(trainer->LoadModel("tiny").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(trainer->UnloadModel("tiny").code(),
            absl::StatusCode::kPermissionDenied);

  ASSERT_OK(WriteUntrainedModel(server_->model_dir(), "tiny", 1, {}));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::ModelInfo> loaded,
                       admin->LoadModel("tiny"));
  EXPECT_EQ(loaded.size(), 1u);
  EXPECT_OK(reader->GetModel("tiny", 1));
  EXPECT_OK(reader->ExportModel("tiny", 1));  // read: as much as sampling
  EXPECT_OK(admin->UnloadModel("tiny"));
}

TEST_F(AuthTest, EveryMethodOfEveryServiceIsBehindTheDoor) {
  const std::vector<std::string> methods = ServedMethods();
  ASSERT_EQ(methods.size(), 20u);
  for (const std::string& method : methods) {
    // Refused before any handler looks at the (empty) request.
    EXPECT_EQ(EmptyCall(server_->address(), method, "").error_code(),
              grpc::StatusCode::UNAUTHENTICATED)
        << method;
    EXPECT_EQ(
        EmptyCall(server_->address(), method, "no-such-token").error_code(),
        grpc::StatusCode::UNAUTHENTICATED)
        << method;
    // Admitted with admin: the handler answers (every method is open).
    const grpc::StatusCode admitted =
        EmptyCall(server_->address(), method, "admin-token-1").error_code();
    EXPECT_NE(admitted, grpc::StatusCode::UNAUTHENTICATED) << method;
    EXPECT_NE(admitted, grpc::StatusCode::PERMISSION_DENIED) << method;
    EXPECT_NE(admitted, grpc::StatusCode::UNIMPLEMENTED) << method;
  }
  EXPECT_EQ(EmptyCall(server_->address(), "/jkoflow.v1.FlowService/LoadModel",
                      "read-token-1")
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AuthTest, HealthNeedsNoToken) {
  bool serving = false;
  const grpc::Status status = HealthCheck(server_->address(), &serving);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(serving);
}

TEST_F(AuthTest, SighupReloadsAndABadReloadKeepsTheOldTokens) {
  WriteFile(token_file_, "fresh-token-2 read\n", 0600);
  ASSERT_EQ(kill(server_->pid(), SIGHUP), 0);
  ASSERT_TRUE(WaitForLog(*server_, "tokens reloaded")) << server_->Log();
  EXPECT_OK(ClientWithToken(*server_, "fresh-token-2")->ListModels());
  EXPECT_EQ(
      ClientWithToken(*server_, "read-token-1")->ListModels().status().code(),
      absl::StatusCode::kUnauthenticated);

  WriteFile(token_file_, "fresh-token-2 read\nbroken-token-3\n", 0600);
  ASSERT_EQ(kill(server_->pid(), SIGHUP), 0);
  ASSERT_TRUE(WaitForLog(*server_, "keeping the old tokens")) << server_->Log();
  EXPECT_TRUE(absl::StrContains(server_->Log(), "line 2")) << server_->Log();
  EXPECT_OK(ClientWithToken(*server_, "fresh-token-2")->ListModels());

  WriteFile(token_file_, "other-token-4 admin\n", 0644);
  ASSERT_EQ(kill(server_->pid(), SIGHUP), 0);
  ASSERT_TRUE(WaitForLog(*server_, "group or others")) << server_->Log();
  EXPECT_OK(ClientWithToken(*server_, "fresh-token-2")->ListModels());
  EXPECT_EQ(
      ClientWithToken(*server_, "other-token-4")->ListModels().status().code(),
      absl::StatusCode::kUnauthenticated);

  const std::string log = server_->Log();
  for (const char* token :
       {"admin-token-1", "fresh-token-2", "broken-token-3", "other-token-4"}) {
    EXPECT_FALSE(absl::StrContains(log, token)) << token << " logged";
  }
}

// TinyHyperparameters() and TinyData() make a one-iteration job.
v1::Hyperparameters TinyHyperparameters() {
  v1::Hyperparameters h;
  h.set_blocks(1);
  h.set_iterations(1);
  h.set_batch_size(100);
  h.set_width(16);
  h.set_depth(2);
  return h;
}

TrainingData TinyData() {
  TrainingData data;
  data.generator = "8gaussians";
  data.n = 500;
  data.seed = 1;
  return data;
}

// ExpectOwnerIdNotToken() checks that the file at `path` (a manifest or a
// job record) names its owner by a "sha256:" id and holds no token.
void ExpectOwnerIdNotToken(const std::string& path) {
  const std::string text = ReadFileOrEmpty(path);
  EXPECT_TRUE(absl::StrContains(text, "\"owner\": \"sha256:")) << path << text;
  EXPECT_FALSE(absl::StrContains(text, "token")) << path << text;
}

TEST_F(AuthTest, AModelNameAndItsJobsBelongToTheTokenThatCreatedThem) {
  auto owner = ClientWithToken(*server_, "train-token-1");
  auto other = ClientWithToken(*server_, "train-token-2");
  auto admin = ClientWithToken(*server_, "admin-token-1");
  ASSERT_TRUE(owner && other && admin);
  const v1::Hyperparameters h = TinyHyperparameters();
  v1::Hyperparameters block = h;  // TrainBlock: one more than the model has
  block.clear_blocks();
  const TrainingData data = TinyData();

  ASSERT_OK_AND_ASSIGN(const v1::Job created,
                       owner->CreateTrainingJob("owned", data, h));
  // The name is claimed as soon as the job is queued.
  const absl::StatusCode kDenied = absl::StatusCode::kPermissionDenied;
  EXPECT_EQ(other->CreateTrainingJob("owned", data, h).status().code(),
            kDenied);
  EXPECT_EQ(other->UploadTrainingJob("owned", FourPoints(), h).status().code(),
            kDenied);
  EXPECT_EQ(other->CancelJob(created.id()).status().code(), kDenied);

  ASSERT_OK_AND_ASSIGN(const v1::Job done,
                       owner->WatchJob(created.id(), nullptr));
  ASSERT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED) << done.DebugString();
  absl::StatusOr<v1::Job> denied = other->TrainBlock("owned", 0, {}, block);
  EXPECT_EQ(denied.status().code(), kDenied) << denied.status();
  EXPECT_TRUE(absl::StrContains(denied.status().message(), "owned"))
      << denied.status();
  EXPECT_EQ(other->CreateTrainingJob("owned", data, h).status().code(),
            kDenied);

  // The owner and an admin may train it and cancel its jobs.
  ASSERT_OK_AND_ASSIGN(const v1::Job own_block,
                       owner->TrainBlock("owned", 0, {}, block));
  EXPECT_OK(owner->CancelJob(own_block.id()));
  ASSERT_OK_AND_ASSIGN(const v1::Job admin_block,
                       admin->TrainBlock("owned", 0, {}, block));
  ASSERT_OK_AND_ASSIGN(const v1::Job again,
                       owner->CreateTrainingJob("owned", data, h));
  EXPECT_OK(admin->CancelJob(again.id()));
  EXPECT_EQ(other->CancelJob(admin_block.id()).status().code(), kDenied);
  ASSERT_OK_AND_ASSIGN(const v1::Job admin_done,
                       admin->WatchJob(admin_block.id(), nullptr));
  EXPECT_EQ(admin_done.state(), v1::JOB_STATE_SUCCEEDED)
      << admin_done.DebugString();

  // Another train token still creates names of its own.
  ASSERT_OK_AND_ASSIGN(const v1::Job theirs,
                       other->CreateTrainingJob("theirs", data, h));
  EXPECT_OK(other->CancelJob(theirs.id()));

  // Manifests and job records hold an id, never the token; a version an
  // admin trained keeps the name's owner.
  for (int64_t version : {int64_t{1}, admin_done.model_version()}) {
    ExpectOwnerIdNotToken(
        ModelVersionDir(server_->model_dir(), "owned", version) +
        "/manifest.json");
  }
  ExpectOwnerIdNotToken(server_->job_dir() + "/" + created.id() + "/job.json");
}

TEST_F(AuthTest, OwnershipSurvivesARestart) {
  auto owner = ClientWithToken(*server_, "train-token-1");
  ASSERT_TRUE(owner);
  ASSERT_OK_AND_ASSIGN(
      const v1::Job created,
      owner->CreateTrainingJob("kept", TinyData(), TinyHyperparameters()));
  ASSERT_OK_AND_ASSIGN(const v1::Job done,
                       owner->WatchJob(created.id(), nullptr));
  ASSERT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED) << done.DebugString();
  ASSERT_OK(server_->Terminate(absl::Seconds(60)));
  server_.reset();
  // Without the job records only the manifest says who owns the name.
  std::filesystem::remove_all(dir_.Sub("jobs"));
  ServerProcess::Options options;
  options.dir = dir_.path();
  options.flags = {"--auth_token_file=" + token_file_};
  ASSERT_OK_AND_ASSIGN(server_, ServerProcess::Start(options));
  v1::Hyperparameters block = TinyHyperparameters();
  block.clear_blocks();
  auto other = ClientWithToken(*server_, "train-token-2");
  EXPECT_EQ(other->TrainBlock("kept", 0, {}, block).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_OK(ClientWithToken(*server_, "train-token-1")
                ->TrainBlock("kept", 0, {}, block));
}

// Start() of a server whose token file is `text` with `mode`.
absl::StatusOr<std::unique_ptr<ServerProcess>> StartWithTokens(
    const ScratchDir& dir, const std::string& text, mode_t mode) {
  const std::string path = dir.Sub("tokens");
  {
    std::ofstream out(path, std::ios::trunc);
    out << text;
  }
  chmod(path.c_str(), mode);
  ServerProcess::Options options;
  options.dir = dir.path();
  options.flags = {"--auth_token_file=" + path};
  return ServerProcess::Start(options);
}

TEST(AuthStartTest, RefusesATokenFileOthersCanRead) {
  ScratchDir dir("auth_mode");
  auto server = StartWithTokens(dir, "secret-token-5 read\n", 0644);
  ASSERT_FALSE(server.ok());
  EXPECT_TRUE(absl::StrContains(server.status().message(), "group or others"))
      << server.status();
  EXPECT_FALSE(absl::StrContains(server.status().message(), "secret-token-5"));
}

TEST(AuthStartTest, RefusesAMalformedLineNamingIt) {
  ScratchDir dir("auth_line");
  auto server = StartWithTokens(
      dir, "# comment\ngood-token-6 admin\nbad-token-7 superuser\n", 0600);
  ASSERT_FALSE(server.ok());
  EXPECT_TRUE(absl::StrContains(server.status().message(), "line 3"))
      << server.status();
  EXPECT_FALSE(absl::StrContains(server.status().message(), "bad-token-7"));
}

TEST(AuthStartTest, WarnsWhenReachableWithoutTokens) {
  ScratchDir dir("auth_warn");
  ServerProcess::Options options;
  options.dir = dir.path();
  options.flags = {"--listen=0.0.0.0:50051"};
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::Start(options));
  EXPECT_TRUE(absl::StrContains(server->Log(), "no --auth_token_file"))
      << server->Log();
  // Without a token file the server stays open, as before.
  EXPECT_OK(server->NewClient()->ListModels());
}

}  // namespace
}  // namespace integration
}  // namespace jkoflow

#include "client/client.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/client/closed_port.h"

namespace jkoflow {
namespace {

std::unique_ptr<Client> ClosedPortClient() {
  ClientOptions options;
  options.server = ClosedPortAddress();
  EXPECT_FALSE(options.server.empty());
  options.timeout = absl::Seconds(5);
  options.watch_timeout = absl::Seconds(5);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(options);
  EXPECT_TRUE(client.ok()) << client.status();
  return std::move(client).value();
}

void ExpectUnavailable(const absl::Status& status) {
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(status.message().rfind("UNAVAILABLE: ", 0), 0u) << status;
}

TEST(ClientTest, CreateRejectsBadOptions) {
  ClientOptions options;
  options.server = "";
  EXPECT_EQ(Client::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = ClientOptions();
  options.timeout = absl::ZeroDuration();
  const absl::Status status = Client::Create(options).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("timeout"), std::string::npos) << status;
  options = ClientOptions();
  options.max_message_bytes = 1000;
  EXPECT_EQ(Client::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ClientTest, CreateDoesNotConnect) {
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Create(ClientOptions());
  EXPECT_TRUE(client.ok()) << client.status();
}

TEST(ClientTest, UnaryCallToClosedPortIsUnavailable) {
  std::unique_ptr<Client> client = ClosedPortClient();
  ExpectUnavailable(client->ListModels().status());
  ExpectUnavailable(client->GetJob("j").status());
}

TEST(ClientTest, ServerStreamToClosedPortIsUnavailable) {
  std::unique_ptr<Client> client = ClosedPortClient();
  ExpectUnavailable(client->Sample("m", 0, /*n=*/10, /*seed=*/1).status());
  int events = 0;
  ExpectUnavailable(
      client->WatchJob("j", [&](const v1::JobEvent&) { ++events; }).status());
  EXPECT_EQ(events, 0);
}

TEST(ClientTest, ClientStreamToClosedPortIsUnavailable) {
  std::unique_ptr<Client> client = ClosedPortClient();
  PointMatrix points;
  points.rows = 3;
  points.cols = 2;
  points.values.assign(6, 0.5f);
  ExpectUnavailable(
      client->UploadTrainingJob("m", points, v1::Hyperparameters()).status());
}

TEST(ClientTest, LocalValidationHappensBeforeTheCall) {
  std::unique_ptr<Client> client = ClosedPortClient();
  PointMatrix bad;
  bad.rows = 2;
  bad.cols = 2;
  bad.values.assign(3, 0.0f);
  EXPECT_EQ(client->LogLikelihood("m", 0, bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  TrainingData both;
  both.generator = "8gaussians";
  both.data_file = "x.csv";
  EXPECT_EQ(client->CreateTrainingJob("m", both, v1::Hyperparameters())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      client->CreateTrainingJob("m", TrainingData(), v1::Hyperparameters())
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace jkoflow

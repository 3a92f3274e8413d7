// ExportModel against a real jkoflow-server: the TorchScript archive it
// sends, opened with LibTorch's torch::jit::load, gives the server's
// log-likelihoods within 1e-4 nats and samples of the same distribution;
// an archive over --max_message_bytes is RESOURCE_EXHAUSTED, an unknown
// model NOT_FOUND.

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/jit/serialization/import.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "client/client.h"
#include "scratch_dir.h"
#include "server_process.h"
#include "status_assert.h"
#include "tiny_model.h"

namespace jkoflow {
namespace integration {
namespace {

class ExportTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> flags = {}) {
    UntrainedModelSpec spec;
    spec.blocks = 3;
    ASSERT_OK(WriteUntrainedModel(dir_.Sub("models"), "tiny", 1, spec));
    ServerProcess::Options options;
    options.dir = dir_.path();
    options.flags = std::move(flags);
    ASSERT_OK_AND_ASSIGN(server_, ServerProcess::Start(options));
    client_ = server_->NewClient();
  }

  void TearDown() override {
    if (server_ == nullptr) return;
    absl::StatusOr<ExitStatus> exit = server_->Terminate(absl::Seconds(60));
    ASSERT_OK(exit);
    EXPECT_TRUE(exit->Exited(0)) << exit->ToString() << "\n" << server_->Log();
  }

  ScratchDir dir_{"export"};
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Client> client_;
};

// AsTensor() is `m` as a float32 [rows, cols] tensor (a copy).
torch::Tensor AsTensor(const PointMatrix& m) {
  return torch::tensor(m.values).view({m.rows, m.cols});
}

TEST_F(ExportTest, ArchiveGivesTheServersLogLikelihoodsAndSamples) {
  Start();
  ASSERT_OK_AND_ASSIGN(v1::ExportModelResponse exported,
                       client_->ExportModel("tiny"));
  EXPECT_EQ(exported.name(), "tiny");
  EXPECT_EQ(exported.model_version(), 1);
  std::istringstream bytes(exported.torchscript());
  torch::jit::Module module = torch::jit::load(bytes);

  PointMatrix points{400, 2, {}};
  for (int i = 0; i < 800; ++i)
    points.values.push_back(0.01f * (i % 97) - 0.5f);
  ASSERT_OK_AND_ASSIGN(LogLikelihoodResult served,
                       client_->LogLikelihood("tiny", 0, points));
  torch::Tensor mine =
      module.get_method("log_prob")({AsTensor(points), int64_t{0}}).toTensor();
  const torch::Tensor expected = torch::tensor(served.log_prob);
  EXPECT_LT((mine - expected).abs().max().item<double>(), 1e-4);

  ASSERT_OK_AND_ASSIGN(SampleResult sample,
                       client_->Sample("tiny", 0, 20000, /*seed=*/4));
  const torch::Tensor theirs = AsTensor(sample.points).to(torch::kFloat64);
  const torch::Tensor ours =
      module.get_method("sample")({int64_t{20000}, int64_t{4}})
          .toTensor()
          .to(torch::kFloat64);
  // Independent draws: means within 5 standard errors of their difference.
  const torch::Tensor se = theirs.std(0) * std::sqrt(2.0 / 20000);
  EXPECT_TRUE(
      ((ours.mean(0) - theirs.mean(0)).abs() < 5 * se).all().item<bool>())
      << ours.mean(0) << theirs.mean(0);
  const torch::Tensor gap =
      (torch::cov(ours.t()) - torch::cov(theirs.t())).abs();
  EXPECT_LT(gap.max().item<double>(),
            0.06 * theirs.var(0).max().item<double>());
}

TEST_F(ExportTest, RefusesWhatItCannotSend) {
  Start({"--max_message_bytes=4096"});
  EXPECT_EQ(client_->ExportModel("tiny").status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(client_->ExportModel("none").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace integration
}  // namespace jkoflow

// The `jkoflow` CLI binary as a user runs it: help texts, the error for an
// unreachable server, and a round trip against a real jkoflow-server.

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "loopback.h"
#include "scratch_dir.h"
#include "server_process.h"
#include "status_assert.h"
#include "subprocess.h"
#include "tiny_model.h"

#ifndef JKOFLOW_CLI_BINARY
#error "JKOFLOW_CLI_BINARY must name the jkoflow executable"
#endif

namespace jkoflow {
namespace integration {
namespace {

const std::vector<std::string> kCommands = {
    "models",      "info", "sample", "loglik", "report", "train",
    "train-block", "jobs", "watch",  "cancel", "health", "export"};

class CliTest : public ::testing::Test {
 protected:
  // Jkoflow() runs the CLI with `args` and returns its exit and output.
  absl::StatusOr<CommandResult> Jkoflow(std::vector<std::string> args) {
    args.insert(args.begin(), JKOFLOW_CLI_BINARY);
    return RunCommand(args, dir_.Sub(absl::StrCat("cli-", runs_++, ".out")),
                      absl::Seconds(60));
  }

  // The steps of SampleAndLoglikAgainstARealServer; `at` is the
  // --server flag of the running server.

  // ExpectServing(): health is SERVING with exit 0 (also through
  // round_robin, and for one of the services), no token needed.
  void ExpectServing(const std::string& at) {
    for (const std::vector<std::string>& args :
         std::vector<std::vector<std::string>>{
             {at, "health"},
             {at, "--lb=round_robin", "health"},
             {at, "health", "--service=jkoflow.v1.FlowService"}}) {
      ASSERT_OK_AND_ASSIGN(const CommandResult health, Jkoflow(args));
      EXPECT_TRUE(health.exit.Exited(0)) << health.output;
      EXPECT_TRUE(absl::StrContains(health.output, "SERVING")) << health.output;
    }
    ASSERT_OK_AND_ASSIGN(const CommandResult unknown_service,
                         Jkoflow({at, "health", "--service=no.Such"}));
    EXPECT_FALSE(unknown_service.exit.Exited(0)) << unknown_service.output;
  }

  // ExpectModelsAndInfo(): `models` lists tiny; `info` shows it.
  void ExpectModelsAndInfo(const std::string& at) {
    ASSERT_OK_AND_ASSIGN(const CommandResult models, Jkoflow({at, "models"}));
    EXPECT_TRUE(models.exit.Exited(0)) << models.output;
    EXPECT_TRUE(absl::StrContains(models.output, "tiny")) << models.output;

    ASSERT_OK_AND_ASSIGN(const CommandResult info,
                         Jkoflow({at, "info", "--model=tiny"}));
    EXPECT_TRUE(info.exit.Exited(0)) << info.output;
    // A model without diagnostics shows its trajectory and "-" elsewhere.
    EXPECT_TRUE(absl::StrContains(info.output, "diagnostics (± one standard"))
        << info.output;
    EXPECT_TRUE(absl::StrContains(info.output, "CERT")) << info.output;
  }

  // SampleToCsv() writes 250 samples of tiny to `csv` and checks the file.
  void SampleToCsv(const std::string& at, const std::string& csv) {
    ASSERT_OK_AND_ASSIGN(const CommandResult sample,
                         Jkoflow({"sample", at, "--model=tiny", "--n=250",
                                  "--seed=3", absl::StrCat("--out=", csv)}));
    ASSERT_TRUE(sample.exit.Exited(0)) << sample.output;
    std::vector<std::string> rows;
    for (absl::string_view line :
         absl::StrSplit(ReadFileOrEmpty(csv), '\n', absl::SkipWhitespace())) {
      rows.emplace_back(line);
    }
    // A header line is allowed; 250 data rows of two values each.
    ASSERT_GE(rows.size(), 250u);
    EXPECT_LE(rows.size(), 251u);
    EXPECT_EQ(std::vector<std::string>(absl::StrSplit(rows.back(), ',')).size(),
              2u)
        << rows.back();
  }

  // ExpectLoglikOf() evaluates the points of `csv`.
  void ExpectLoglikOf(const std::string& at, const std::string& csv) {
    ASSERT_OK_AND_ASSIGN(
        const CommandResult loglik,
        Jkoflow({"loglik", at, "--model=tiny", absl::StrCat("--in=", csv)}));
    ASSERT_TRUE(loglik.exit.Exited(0)) << loglik.output;
    EXPECT_TRUE(absl::StrContains(loglik.output, "NLL")) << loglik.output;
    EXPECT_TRUE(absl::StrContains(loglik.output, "points: 250"))
        << loglik.output;
  }

  // ExpectReport(): the report of the 2-D model, one PNG with its density
  // panel sampled.
  void ExpectReport(const std::string& at) {
    const std::string png = dir_.Sub("report.png");
    ASSERT_OK_AND_ASSIGN(const CommandResult report,
                         Jkoflow({"report", at, "--model=tiny", "--n=2000",
                                  absl::StrCat("--out=", png)}));
    ASSERT_TRUE(report.exit.Exited(0)) << report.output;
    EXPECT_TRUE(absl::StrContains(report.output, "wrote")) << report.output;
    EXPECT_TRUE(absl::StartsWith(ReadFileOrEmpty(png),
                                 std::string("\x89PNG\r\n\x1a\n", 8)))
        << png;
  }

  // ExpectServerErrorReported(): a server-side error reaches the user with
  // its code and a non-zero exit.
  void ExpectServerErrorReported(const std::string& at) {
    ASSERT_OK_AND_ASSIGN(
        const CommandResult missing,
        Jkoflow({"sample", at, "--model=nope", "--n=5",
                 absl::StrCat("--out=", dir_.Sub("none.csv"))}));
    EXPECT_FALSE(missing.exit.Exited(0)) << missing.output;
    EXPECT_TRUE(absl::StrContains(missing.output, "NOT_FOUND"))
        << missing.output;
  }

  ScratchDir dir_{"cli"};
  int runs_ = 0;
};

TEST_F(CliTest, HelpForEveryCommand) {
  ASSERT_OK_AND_ASSIGN(const CommandResult top, Jkoflow({"--help"}));
  EXPECT_TRUE(top.exit.Exited(0)) << top.exit.ToString() << top.output;
  EXPECT_TRUE(absl::StrContains(top.output, "usage: jkoflow")) << top.output;
  for (const std::string& command : kCommands) {
    EXPECT_TRUE(absl::StrContains(top.output, command))
        << "--help does not list " << command;
    ASSERT_OK_AND_ASSIGN(const CommandResult help,
                         Jkoflow({command, "--help"}));
    EXPECT_TRUE(help.exit.Exited(0))
        << command << " --help: " << help.exit.ToString() << "\n"
        << help.output;
    EXPECT_TRUE(absl::StrContains(help.output,
                                  absl::StrCat("usage: jkoflow ", command)))
        << command << " --help:\n"
        << help.output;
  }
  // Misuse is a usage error, not a crash.
  ASSERT_OK_AND_ASSIGN(const CommandResult unknown, Jkoflow({"frobnicate"}));
  EXPECT_FALSE(unknown.exit.Exited(0));
  EXPECT_EQ(unknown.exit.signal, 0) << unknown.output;
  ASSERT_OK_AND_ASSIGN(const CommandResult missing, Jkoflow({"sample"}));
  EXPECT_FALSE(missing.exit.Exited(0));
  EXPECT_EQ(missing.exit.signal, 0) << missing.output;
}

TEST_F(CliTest, ClosedPortIsUnavailable) {
  ASSERT_OK_AND_ASSIGN(const int port, FreeLoopbackPort());
  ASSERT_OK_AND_ASSIGN(
      const CommandResult result,
      Jkoflow({"models", absl::StrCat("--server=127.0.0.1:", port)}));
  EXPECT_FALSE(result.exit.Exited(0)) << result.output;
  EXPECT_EQ(result.exit.signal, 0) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "UNAVAILABLE")) << result.output;
  ASSERT_OK_AND_ASSIGN(
      const CommandResult health,
      Jkoflow({absl::StrCat("--server=127.0.0.1:", port), "health"}));
  EXPECT_FALSE(health.exit.Exited(0)) << health.output;
  EXPECT_EQ(health.exit.signal, 0) << health.output;
}

TEST_F(CliTest, SampleAndLoglikAgainstARealServer) {
  UntrainedModelSpec spec;
  ASSERT_OK(WriteUntrainedModel(dir_.Sub("models"), "tiny", 1, spec));
  ServerProcess::Options options;
  options.dir = dir_.path();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ServerProcess> server,
                       ServerProcess::Start(options));
  const std::string at = absl::StrCat("--server=", server->address());

  ExpectServing(at);
  ExpectModelsAndInfo(at);
  const std::string csv = dir_.Sub("samples.csv");
  ASSERT_NO_FATAL_FAILURE(SampleToCsv(at, csv));
  ExpectLoglikOf(at, csv);
  ExpectReport(at);
  ExpectServerErrorReported(at);

  absl::StatusOr<ExitStatus> exit = server->Terminate(absl::Seconds(60));
  ASSERT_OK(exit);
  EXPECT_TRUE(exit->Exited(0)) << exit->ToString() << "\n" << server->Log();
}

}  // namespace
}  // namespace integration
}  // namespace jkoflow

#include "client/cli/cli.h"

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/client/closed_port.h"

namespace jkoflow {
namespace {

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result Jkoflow(std::vector<std::string> args) {
  std::ostringstream out, err;
  const int code = RunCli(args, out, err, /*out_is_tty=*/false);
  return {code, out.str(), err.str()};
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const char* const kCommands[] = {"models", "info",   "sample",      "loglik",
                                 "report", "train",  "train-block", "jobs",
                                 "watch",  "cancel", "export"};

TEST(CliTest, HelpListsEveryCommandAndExitsZero) {
  for (const char* help : {"--help", "-h"}) {
    const Result r = Jkoflow({help});
    EXPECT_EQ(r.code, kExitOk);
    EXPECT_TRUE(Contains(r.out, "usage: jkoflow")) << r.out;
    EXPECT_TRUE(Contains(r.out, "--server")) << r.out;
    EXPECT_TRUE(Contains(r.out, "--timeout")) << r.out;
    for (const char* command : kCommands) {
      EXPECT_TRUE(Contains(r.out, std::string("  ") + command + " "))
          << command;
    }
    EXPECT_TRUE(r.err.empty());
  }
}

TEST(CliTest, EveryCommandHasHelp) {
  for (const char* command : kCommands) {
    const Result r = Jkoflow({command, "--help"});
    EXPECT_EQ(r.code, kExitOk) << command;
    EXPECT_TRUE(Contains(r.out, std::string("usage: jkoflow ") + command))
        << r.out;
    EXPECT_TRUE(Contains(r.out, "global flags")) << r.out;
    EXPECT_TRUE(Contains(r.out, "--server")) << r.out;
  }
}

TEST(CliTest, CommandHelpDocumentsItsFlags) {
  const Result sample = Jkoflow({"sample", "--help"});
  for (const char* flag :
       {"--model ", "--version ", "--n ", "--seed ", "--out ", "--plot "}) {
    EXPECT_TRUE(Contains(sample.out, flag)) << flag << "\n" << sample.out;
  }
  // The positionals, in the order a person types them.
  EXPECT_TRUE(Contains(sample.out, "usage: jkoflow sample [FLAGS] model n"))
      << sample.out;
  const Result train = Jkoflow({"help", "train"});
  EXPECT_EQ(train.code, kExitOk);
  for (const char* flag :
       {"--dataset ", "--data_file ", "--upload ", "--blocks ", "--iters ",
        "--lr ", "--h0 ", "--rho ", "--hmax ", "--width ", "--depth ",
        "--steps ", "--seed ", "--wait"}) {
    EXPECT_TRUE(Contains(train.out, flag)) << flag << "\n" << train.out;
  }
  const Result report = Jkoflow({"report", "--help"});
  for (const char* flag :
       {"--model ", "--version ", "--out ", "--n ", "--seed "}) {
    EXPECT_TRUE(Contains(report.out, flag)) << flag << "\n" << report.out;
  }
  EXPECT_TRUE(Contains(report.out, "report.png")) << report.out;  // default
  const Result loglik = Jkoflow({"loglik", "-h"});
  for (const char* flag : {"--in ", "--out ", "--method ", "--probes "}) {
    EXPECT_TRUE(Contains(loglik.out, flag)) << flag << "\n" << loglik.out;
  }
  EXPECT_TRUE(Contains(loglik.out, "usage: jkoflow loglik [FLAGS] model in"))
      << loglik.out;
  EXPECT_EQ(Jkoflow({"help", "nope"}).code, kExitUsage);
}

TEST(CliTest, NoCommandIsAUsageError) {
  const Result r = Jkoflow({});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "usage: jkoflow")) << r.err;
}

TEST(CliTest, UnknownCommandIsAUsageError) {
  const Result r = Jkoflow({"smaple"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "unknown command 'smaple'")) << r.err;
}

TEST(CliTest, UnknownFlagIsAUsageErrorNamingIt) {
  const Result r = Jkoflow({"sample", "--model=m", "--n=3", "--bogus=1"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "unknown flag --bogus")) << r.err;
  const Result global = Jkoflow({"--verbose", "models"});
  EXPECT_EQ(global.code, kExitUsage);
  EXPECT_TRUE(Contains(global.err, "unknown flag --verbose")) << global.err;
}

TEST(CliTest, MissingRequiredFlagIsAUsageErrorNamingIt) {
  Result r = Jkoflow({"sample", "--n=3", "--out=x.csv"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err,
                       "missing model: give it as an argument or as "
                       "--model"))
      << r.err;
  r = Jkoflow({"watch"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "missing job")) << r.err;
  EXPECT_TRUE(Contains(r.err, "--job")) << r.err;
  r = Jkoflow({"sample", "m", "--out=x.csv"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "missing n: give it as an argument or as --n"))
      << r.err;
}

TEST(CliTest, BadNumbersNameTheFlagAndTheValue) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"sample", "m", "ten", "--out=x.csv"}, "--n: "},
      {{"sample", "m", "3", "--seed=-1", "--out=x.csv"}, "--seed: "},
      {{"sample", "m", "3", "--seed=x", "--out=x.csv"}, "--seed"},
      {{"sample", "m", "0", "--out=x.csv"}, "--n: "},
      {{"train", "m", "--dataset=moons", "--lr=nan"}, "--lr: "},
      {{"train", "m", "--dataset=moons", "--lr=1e999"}, "--lr: "},
      {{"train", "m", "--dataset=moons", "--iters=2.5"}, "--iters"},
      {{"loglik", "m", "p.csv", "--method=fast"}, "--method: "},
      {{"info", "m", "--version=-2"}, "--version: "}};
  for (const auto& [args, flag] : cases) {
    const Result r = Jkoflow(args);
    EXPECT_EQ(r.code, kExitUsage) << args[2];
    EXPECT_TRUE(Contains(r.err, flag)) << r.err;
  }
  const Result r = Jkoflow({"sample", "m", "ten", "--out=x.csv"});
  EXPECT_TRUE(Contains(r.err, "got 'ten'")) << r.err;
}

TEST(CliTest, RepeatedFlagsMissingValuesAndExtraArgumentsAreUsageErrors) {
  Result r = Jkoflow({"sample", "--model=a", "--model=b", "--n=1"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "--model")) << r.err;
  r = Jkoflow({"sample", "m", "3", "--out", "--plot=x.png"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "--out: missing value")) << r.err;
  r = Jkoflow({"sample", "m", "3", "extra", "--out=x.csv"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "unexpected argument 'extra'")) << r.err;
  r = Jkoflow({"sample", "m", "3", "--out"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "--out")) << r.err;
}

// Positionals and their flags are alternatives, in either order, and both
// `--flag=value` and `--flag value` work: the local errors below come from
// the values that reached the command.
TEST(CliTest, PositionalsAndBothFlagFormsReachTheCommand) {
  const std::string server = "--server=" + ClosedPortAddress();
  const std::string missing = "/nonexistent/points.csv";
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"loglik", server, "m", missing},
           {"loglik", server, "--in", missing, "m"},
           {"loglik", server, "--model", "m", "--in=" + missing},
           {"train", server, "m", "--upload", missing},
           {"train", server, "--upload=" + missing, "--model=m"}}) {
    const Result r = Jkoflow(args);
    EXPECT_EQ(r.code, kExitError) << args[0] << " " << args[2];
    EXPECT_TRUE(Contains(r.err, "NOT_FOUND")) << r.err;
    EXPECT_TRUE(Contains(r.err, missing)) << r.err;
  }
  // Two data sources reach train (its own check), by either form.
  const Result two = Jkoflow(
      {"train", server, "m", "--dataset", "moons", "--data_file=x.csv"});
  EXPECT_EQ(two.code, kExitError);
  EXPECT_TRUE(Contains(two.err, "exactly one of")) << two.err;
  // A flag and a positional for the same value are one value given twice.
  const Result both = Jkoflow({"info", server, "m", "--model=n"});
  EXPECT_EQ(both.code, kExitUsage) << both.err;
}

TEST(CliTest, BadTimeoutIsAUsageError) {
  const Result r = Jkoflow({"--timeout=0", "models"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "--timeout")) << r.err;
}

TEST(CliTest, StoppedServerPrintsUnavailable) {
  const std::string server = ClosedPortAddress();
  ASSERT_FALSE(server.empty());
  // Global flags before the command...
  Result r = Jkoflow({"--server=" + server, "--timeout", "5", "models"});
  EXPECT_EQ(r.code, kExitError);
  EXPECT_TRUE(Contains(r.err, "jkoflow models: UNAVAILABLE: ")) << r.err;
  // ...or after it.
  r = Jkoflow({"jobs", "--server", server, "--timeout=5"});
  EXPECT_EQ(r.code, kExitError);
  EXPECT_TRUE(Contains(r.err, "jkoflow jobs: UNAVAILABLE: ")) << r.err;
  r = Jkoflow({"sample", "--server=" + server, "--model=m", "--n=4",
               "--out=" + testing::TempDir() + "/never.csv"});
  EXPECT_EQ(r.code, kExitError);
  EXPECT_TRUE(Contains(r.err, "UNAVAILABLE")) << r.err;
}

TEST(CliTest, LocalErrorsExitOneWithTheirCode) {
  const std::string server = ClosedPortAddress();
  Result r = Jkoflow({"loglik", "--server=" + server, "--model=m",
                      "--in=/nonexistent/points.csv"});
  EXPECT_EQ(r.code, kExitError);
  EXPECT_TRUE(Contains(r.err, "NOT_FOUND")) << r.err;
  r = Jkoflow({"train", "--server=" + server, "--model=m"});
  EXPECT_EQ(r.code, kExitError);
  EXPECT_TRUE(
      Contains(r.err, "exactly one of --dataset, --data_file, --upload"))
      << r.err;
  r = Jkoflow({"sample", "--server=" + server, "--model=m", "--n=4"});
  EXPECT_EQ(r.code, kExitError);
  EXPECT_TRUE(Contains(r.err, "--out")) << r.err;
}

TEST(CliTest, CompletionScriptComesFromTheCommands) {
  const Result r = Jkoflow({"completion", "bash"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "complete -o default -F _jkoflow jkoflow"));
  for (const char* command : kCommands) {
    EXPECT_TRUE(Contains(r.out, std::string("    ") + command + ") words="))
        << command;
  }
  EXPECT_TRUE(Contains(r.out, "--out")) << r.out;  // export's, report's
  EXPECT_FALSE(Contains(r.out, "--help --help")) << r.out;
  EXPECT_EQ(Jkoflow({"completion", "zsh"}).code, 2);
  EXPECT_EQ(Jkoflow({"completion"}).code, 2);
}

}  // namespace
}  // namespace jkoflow

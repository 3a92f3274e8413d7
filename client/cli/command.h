#ifndef JKOFLOW_CLIENT_CLI_COMMAND_H_
#define JKOFLOW_CLIENT_CLI_COMMAND_H_

#include <functional>
#include <ostream>

#include "absl/status/status.h"
#include "client/client.h"

namespace CLI {
class App;
}  // namespace CLI

namespace jkoflow {

// CommandContext is what a running subcommand may use. It does not own the
// client or the stream.
struct CommandContext {
  Client& client;
  std::ostream& out;  // results and progress
  bool out_is_tty;    // draw a progress bar rather than plain lines
};

// Command is one subcommand of the `jkoflow` CLI: its CLI11 app (owned by
// the parent app) and what runs it once the command line is parsed. `run`
// owns the option values that parsing fills in; an error it returns is
// printed with its code and the CLI exits with 1.
struct Command {
  CLI::App* app = nullptr;
  std::function<absl::Status(CommandContext&)> run;
};

// The subcommands, one or more per file (cmd_*.cc). Each Add*Command()
// registers its subcommand on `jkoflow` with typed options, checks and
// positionals (`jkoflow sample m 1000` is `jkoflow sample --model=m
// --n=1000`), and returns it.
Command AddModelsCommand(CLI::App& jkoflow);      // cmd_models.cc
Command AddInfoCommand(CLI::App& jkoflow);        // cmd_models.cc
Command AddSampleCommand(CLI::App& jkoflow);      // cmd_sample.cc
Command AddLoglikCommand(CLI::App& jkoflow);      // cmd_loglik.cc
Command AddReportCommand(CLI::App& jkoflow);      // cmd_report.cc
Command AddTrainCommand(CLI::App& jkoflow);       // cmd_train.cc
Command AddTrainBlockCommand(CLI::App& jkoflow);  // cmd_train.cc
Command AddJobsCommand(CLI::App& jkoflow);        // cmd_jobs.cc
Command AddWatchCommand(CLI::App& jkoflow);       // cmd_jobs.cc
Command AddCancelCommand(CLI::App& jkoflow);      // cmd_jobs.cc
Command AddHealthCommand(CLI::App& jkoflow);      // cmd_health.cc
Command AddExportCommand(CLI::App& jkoflow);      // cmd_export.cc

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_CLI_COMMAND_H_

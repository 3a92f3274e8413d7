#ifndef JKOFLOW_CLIENT_CLI_COMMAND_H_
#define JKOFLOW_CLIENT_CLI_COMMAND_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/cli/flag_parser.h"
#include "client/client.h"

namespace jkoflow {

// CommandContext is what a running subcommand may use. It does not own the
// client or the streams.
struct CommandContext {
  Client& client;
  const ParsedFlags& flags;
  std::ostream& out;  // results and progress
  bool out_is_tty;    // draw a progress bar rather than plain lines
};

// Command is one subcommand of the `jkoflow` CLI.
struct Command {
  std::string name;      // e.g. "sample"
  std::string synopsis;  // one-line usage after "jkoflow <name> "
  std::string summary;   // one sentence for the command list
  std::vector<FlagSpec> flags;
  // Run() does the work; an error is printed with its code and the CLI
  // exits with 1. Flags have been parsed and checked against `flags`.
  std::function<absl::Status(CommandContext&)> run;
};

// The subcommands, one factory per file (cmd_*.cc).
Command ModelsCommand();      // cmd_models.cc
Command InfoCommand();        // cmd_models.cc
Command SampleCommand();      // cmd_sample.cc
Command LoglikCommand();      // cmd_loglik.cc
Command TrainCommand();       // cmd_train.cc
Command TrainBlockCommand();  // cmd_train.cc
Command JobsCommand();        // cmd_jobs.cc
Command WatchCommand();       // cmd_jobs.cc
Command CancelCommand();      // cmd_jobs.cc
Command ReportCommand();      // cmd_report.cc
Command HealthCommand();      // cmd_health.cc

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_CLI_COMMAND_H_

// The `jobs`, `watch` and `cancel` subcommands: training jobs.

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "client/cli/command.h"
#include "client/cli/job_progress.h"
#include "client/cli/table.h"

namespace jkoflow {
namespace {

absl::Status RunJobs(CommandContext& context) {
  ASSIGN_OR_RETURN(std::vector<v1::Job> jobs, context.client.ListJobs());
  if (jobs.empty()) {
    context.out << "no jobs\n";
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {{"ID", "STATE", "MODEL",
                                                 "VERSION", "BLOCKS", "ITER",
                                                 "LOSS", "UPDATED", "ERROR"}};
  for (const v1::Job& job : jobs) {
    rows.push_back(
        {job.id(), JobStateName(job.state()), job.model_name(),
         job.model_version() > 0 ? absl::StrCat(job.model_version()) : "-",
         absl::StrCat(job.blocks_done(), "/", job.blocks_total()),
         absl::StrCat(job.iteration(), "/", job.iterations()),
         absl::StrFormat("%.4g", job.last_loss()), job.updated_utc(),
         job.error()});
  }
  context.out << FormatTable(rows);
  return absl::OkStatus();
}

absl::Status RunWatch(CommandContext& context, const std::string& job) {
  return WatchWithProgress(context.client, job, context.out,
                           context.out_is_tty);
}

absl::Status RunCancel(CommandContext& context, const std::string& id) {
  ASSIGN_OR_RETURN(v1::Job job, context.client.CancelJob(id));
  context.out << FormatJobSummary(job) << "\n";
  return absl::OkStatus();
}

// AddJobCommand() adds a subcommand of one required job id (the first bare
// argument or --job) that runs `run` on it.
template <typename Run>
Command AddJobCommand(CLI::App& jkoflow, const std::string& name,
                      const std::string& description, Run run) {
  CLI::App* command = jkoflow.add_subcommand(name, description);
  auto job = std::make_shared<std::string>();
  command->add_option("job,--job", *job, "job id")->required();
  return {command,
          [job, run](CommandContext& context) { return run(context, *job); }};
}

}  // namespace

Command AddJobsCommand(CLI::App& jkoflow) {
  return {jkoflow.add_subcommand("jobs", "List the server's training jobs."),
          RunJobs};
}

Command AddWatchCommand(CLI::App& jkoflow) {
  return AddJobCommand(
      jkoflow, "watch",
      "Follow a training job until it ends (a progress bar on a terminal, "
      "plain lines otherwise); exit non-zero unless it succeeds.",
      RunWatch);
}

Command AddCancelCommand(CLI::App& jkoflow) {
  return AddJobCommand(
      jkoflow, "cancel",
      "Cancel a training job; a finished job is left unchanged.", RunCancel);
}

}  // namespace jkoflow

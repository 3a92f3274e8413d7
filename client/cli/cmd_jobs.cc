// The `jobs`, `watch` and `cancel` subcommands: training jobs.

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

absl::Status RunWatch(CommandContext& context) {
  return WatchWithProgress(context.client, context.flags.String("job"),
                           context.out, context.out_is_tty);
}

absl::Status RunCancel(CommandContext& context) {
  ASSIGN_OR_RETURN(v1::Job job,
                   context.client.CancelJob(context.flags.String("job")));
  context.out << FormatJobSummary(job) << "\n";
  return absl::OkStatus();
}

FlagSpec JobFlag() {
  return {"job", FlagType::kString, "job id", true, "", true};
}

}  // namespace

Command JobsCommand() {
  return {"jobs", "", "List the server's training jobs.", {}, RunJobs};
}

Command WatchCommand() {
  return {"watch",
          "JOB",
          "Follow a training job until it ends (a progress bar on a "
          "terminal, plain lines otherwise); exit non-zero unless it "
          "succeeds.",
          {JobFlag()},
          RunWatch};
}

Command CancelCommand() {
  return {"cancel",
          "JOB",
          "Cancel a training job; a finished job is left unchanged.",
          {JobFlag()},
          RunCancel};
}

}  // namespace jkoflow

#ifndef JKOFLOW_CLIENT_CLI_JOB_PROGRESS_H_
#define JKOFLOW_CLIENT_CLI_JOB_PROGRESS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "jkoflow/v1/training.pb.h"

namespace jkoflow {

// FormatEta() writes a duration in seconds compactly: "12s", "3m05s",
// "2h07m"; "?" for a negative or non-finite value.
std::string FormatEta(double seconds);

// JobFraction() is the share of the job's iterations done at `event`, in
// [0, 1]: (block − 1 + iteration / iterations) / blocks_total.
double JobFraction(const v1::JobEvent& event);

// FormatProgressLine() describes one event in plain text, e.g.
// "block 2/4 iter 150/300 loss 3.21 eta 12s".
std::string FormatProgressLine(const v1::JobEvent& event);

// FormatJobSummary() describes a job's outcome, e.g. "job j-1 SUCCEEDED:
// model gauss version 2, 4/4 blocks, last loss 2.91" or "job j-2 FAILED:
// <error>".
std::string FormatJobSummary(const v1::Job& job);

// JobStateName() is the state without its prefix: "RUNNING".
std::string JobStateName(v1::JobState state);

// ProgressReporter shows WatchJob() events on `out`: on a terminal, one
// progress bar redrawn in place; otherwise plain progress lines, at most one
// per `interval` plus one whenever a new block starts. Not thread-safe; does
// not own `out`.
class ProgressReporter {
 public:
  ProgressReporter(std::ostream& out, bool tty,
                   absl::Duration interval = absl::Seconds(1));

  // OnEvent() reports one event; events of a terminal job are left to
  // Finish().
  void OnEvent(const v1::JobEvent& event);

  // EndBar() ends the progress bar's line, if one is drawn.
  void EndBar();

  // Finish() ends the bar (if any) and prints FormatJobSummary(job).
  void Finish(const v1::Job& job);

 private:
  std::ostream& out_;
  const bool tty_;
  const absl::Duration interval_;
  absl::Time last_line_ = absl::InfinitePast();
  int64_t last_block_ = -1;
  bool bar_drawn_ = false;
};

// WatchWithProgress() watches job `id` with a ProgressReporter on `out` and
// returns OK only if the job SUCCEEDED; a FAILED or CANCELLED job gives
// Aborted with the job's error, a watch that ends before the job does gives
// Unavailable, and a watch error is returned as is.
absl::Status WatchWithProgress(Client& client, const std::string& id,
                               std::ostream& out, bool tty);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_CLI_JOB_PROGRESS_H_

#include "client/cli/job_progress.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace jkoflow {
namespace {

constexpr int kBarWidth = 30;

}  // namespace

std::string FormatEta(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t s = static_cast<int64_t>(std::llround(seconds));
  if (s < 60) return absl::StrCat(s, "s");
  if (s < 3600) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
}

double JobFraction(const v1::JobEvent& event) {
  const v1::Job& job = event.job();
  if (job.blocks_total() <= 0) return 0;
  double within = 0;
  if (job.iterations() > 0) {
    within = static_cast<double>(event.iteration()) /
             static_cast<double>(job.iterations());
  }
  const double done =
      static_cast<double>(std::max<int64_t>(event.block() - 1, 0)) +
      std::clamp(within, 0.0, 1.0);
  return std::clamp(done / static_cast<double>(job.blocks_total()), 0.0, 1.0);
}

std::string FormatProgressLine(const v1::JobEvent& event) {
  const v1::Job& job = event.job();
  return absl::StrFormat("block %d/%d iter %d/%d loss %.4g eta %s",
                         event.block(), job.blocks_total(), event.iteration(),
                         job.iterations(), event.loss(),
                         FormatEta(event.eta_seconds()));
}

std::string JobStateName(v1::JobState state) {
  std::string name = v1::JobState_Name(state);
  constexpr char kPrefix[] = "JOB_STATE_";
  if (absl::StartsWith(name, kPrefix)) name = name.substr(sizeof(kPrefix) - 1);
  return name;
}

std::string FormatJobSummary(const v1::Job& job) {
  std::string text =
      absl::StrCat("job ", job.id(), " ", JobStateName(job.state()));
  if (job.state() == v1::JOB_STATE_SUCCEEDED) {
    absl::StrAppendFormat(
        &text, ": model %s version %d, %d/%d blocks, last loss %.4g",
        job.model_name(), job.model_version(), job.blocks_done(),
        job.blocks_total(), job.last_loss());
  } else {
    absl::StrAppendFormat(&text, " after %d/%d blocks", job.blocks_done(),
                          job.blocks_total());
    if (!job.error().empty()) absl::StrAppend(&text, ": ", job.error());
  }
  return text;
}

ProgressReporter::ProgressReporter(std::ostream& out, bool tty,
                                   absl::Duration interval)
    : out_(out), tty_(tty), interval_(interval) {}

void ProgressReporter::OnEvent(const v1::JobEvent& event) {
  // The terminal event is reported by Finish(), as the summary.
  if (IsTerminal(event.job().state())) return;
  if (tty_) {
    const double fraction = JobFraction(event);
    const int filled = static_cast<int>(fraction * kBarWidth);
    out_ << "\r[" << std::string(filled, '#')
         << std::string(kBarWidth - filled, '-') << "] "
         << absl::StrFormat("%3d%% ", static_cast<int>(fraction * 100))
         << FormatProgressLine(event) << "\033[K" << std::flush;
    bar_drawn_ = true;
    return;
  }
  const absl::Time now = absl::Now();
  if (event.block() == last_block_ && now - last_line_ < interval_) return;
  last_block_ = event.block();
  last_line_ = now;
  out_ << FormatProgressLine(event) << "\n" << std::flush;
}

void ProgressReporter::EndBar() {
  if (bar_drawn_) out_ << "\n" << std::flush;
  bar_drawn_ = false;
}

void ProgressReporter::Finish(const v1::Job& job) {
  EndBar();
  out_ << FormatJobSummary(job) << "\n" << std::flush;
}

absl::Status WatchWithProgress(Client& client, const std::string& id,
                               std::ostream& out, bool tty) {
  ProgressReporter reporter(out, tty);
  absl::StatusOr<v1::Job> job = client.WatchJob(
      id, [&reporter](const v1::JobEvent& event) { reporter.OnEvent(event); });
  if (!job.ok()) {
    reporter.EndBar();
    return job.status();
  }
  reporter.Finish(*job);
  if (!IsTerminal(job->state())) {
    return absl::UnavailableError(absl::StrCat("the watch of job ", job->id(),
                                               " ended while it was ",
                                               JobStateName(job->state())));
  }
  if (job->state() == v1::JOB_STATE_SUCCEEDED) return absl::OkStatus();
  return absl::AbortedError(
      absl::StrCat("job ", job->id(), " ended ", JobStateName(job->state()),
                   job->error().empty() ? "" : ": ", job->error()));
}

}  // namespace jkoflow

#include "server/jobs/job_types.h"

namespace jkoflow {
namespace {

constexpr JobState kStates[] = {JobState::kQueued, JobState::kRunning,
                                JobState::kSucceeded, JobState::kFailed,
                                JobState::kCancelled};

}  // namespace

bool IsTerminal(JobState state) {
  return state == JobState::kSucceeded || state == JobState::kFailed ||
         state == JobState::kCancelled;
}

const char* JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued:
      return "QUEUED";
    case JobState::kRunning:
      return "RUNNING";
    case JobState::kSucceeded:
      return "SUCCEEDED";
    case JobState::kFailed:
      return "FAILED";
    case JobState::kCancelled:
      return "CANCELLED";
  }
  return "UNKNOWN";
}

std::optional<JobState> ParseJobState(const std::string& name) {
  for (JobState state : kStates) {
    if (name == JobStateName(state)) return state;
  }
  return std::nullopt;
}

}  // namespace jkoflow

#include "server/rpc/watch_job_stream.h"

#include <chrono>
#include <utility>

#include "absl/time/clock.h"
#include "server/jobs/job_store.h"
#include "server/rpc/job_messages.h"
#include "server/rpc/status_map.h"
#include "server/rpc/unary_call.h"

namespace jkoflow {
namespace {

using RefusedWatch = RefusedStream<grpc::ServerWriteReactor<v1::JobEvent>>;

}  // namespace

WatchJobStream::WatchJobStream(JobManager* manager, Metrics* metrics,
                               const std::atomic<bool>* draining,
                               std::string id, absl::Duration interval)
    : manager_(manager),
      draining_(draining),
      id_(std::move(id)),
      interval_(interval),
      timer_(metrics, "WatchJob") {}

grpc::ServerWriteReactor<v1::JobEvent>* WatchJobStream::Start(
    JobManager* manager, Metrics* metrics, const std::atomic<bool>* draining,
    const std::string& id, absl::Duration interval) {
  if (draining->load())
    return new RefusedWatch(metrics, "WatchJob", DrainingError());
  absl::StatusOr<JobProgress> progress = manager->Progress(id);
  if (!progress.ok())
    return new RefusedWatch(metrics, "WatchJob", progress.status());
  auto* stream = new WatchJobStream(manager, metrics, draining, id, interval);
  stream->Tick();
  return stream;
}

WatchJobStream::Action WatchJobStream::NextActionLocked() {
  if (finished_ || write_in_flight_) return Action::kNone;
  if (cancelled_) {
    finish_status_ = absl::CancelledError("the watch was cancelled");
  } else if (wrote_terminal_) {
    finish_status_ = absl::OkStatus();
  } else if (draining_->load()) {
    finish_status_ = absl::UnavailableError(
        "the server is shutting down; the job resumes after the restart");
  } else {
    absl::StatusOr<JobProgress> progress = manager_->Progress(id_);
    if (!progress.ok()) {
      finish_status_ = progress.status();
    } else if (!wrote_any_ || progress->revision != revision_) {
      wrote_any_ = true;
      revision_ = progress->revision;
      event_ = JobEventToProto(*progress);
      wrote_terminal_ = IsTerminal(progress->job.state);
      write_in_flight_ = true;
      return Action::kWrite;
    } else {
      ++refs_;  // held by the alarm until its callback returns
      previous_alarm_ = std::move(alarm_);
      alarm_ = std::make_unique<grpc::Alarm>();
      return Action::kArm;
    }
  }
  finished_ = true;
  return Action::kFinish;
}

void WatchJobStream::Perform(Action action) {
  switch (action) {
    case Action::kNone:
      return;
    case Action::kWrite:
      StartWrite(&event_);
      return;
    case Action::kFinish: {
      const grpc::Status status = ToGrpcStatus(finish_status_);
      timer_.Finish(status.error_code());
      Finish(status);
      return;
    }
    case Action::kArm: {
      grpc::Alarm* alarm;
      {
        absl::MutexLock lock(&mu_);
        alarm = alarm_.get();
      }
      alarm->Set(std::chrono::system_clock::now() +
                     absl::ToChronoMilliseconds(interval_),
                 [this](bool) {
                   Tick();
                   Unref();
                 });
      return;
    }
  }
}

void WatchJobStream::Tick() {
  Action action;
  {
    absl::MutexLock lock(&mu_);
    action = NextActionLocked();
  }
  Perform(action);
}

void WatchJobStream::OnWriteDone(bool ok) {
  Action action = Action::kNone;
  {
    absl::MutexLock lock(&mu_);
    write_in_flight_ = false;
    if (!ok) cancelled_ = true;
    if (!ok || wrote_terminal_) {
      action = NextActionLocked();  // finish at once
    } else {
      // Throttle: the next event waits for the alarm.
      ++refs_;
      previous_alarm_ = std::move(alarm_);
      alarm_ = std::make_unique<grpc::Alarm>();
      action = Action::kArm;
    }
  }
  Perform(action);
}

void WatchJobStream::OnCancel() {
  grpc::Alarm* alarm = nullptr;
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    alarm = alarm_.get();
  }
  if (alarm != nullptr) alarm->Cancel();  // its callback runs Tick() soon
  Tick();
}

void WatchJobStream::OnDone() { Unref(); }

void WatchJobStream::Unref() {
  bool last;
  {
    absl::MutexLock lock(&mu_);
    last = --refs_ == 0;
  }
  if (last) delete this;
}

}  // namespace jkoflow

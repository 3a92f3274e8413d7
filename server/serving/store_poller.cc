#include "server/serving/store_poller.h"

#include "absl/strings/str_cat.h"
#include "server/observability/log.h"

namespace jkoflow {

StorePoller::StorePoller(ModelRegistry* registry, absl::Duration period)
    : registry_(registry), period_(period), thread_([this] { Loop(); }) {}

StorePoller::~StorePoller() {
  stop_.Notify();
  thread_.join();
}

void StorePoller::Loop() {
  while (!stop_.WaitForNotificationWithTimeout(period_)) {
    absl::StatusOr<ModelRegistry::SyncResult> result = registry_->Sync();
    if (!result.ok()) {
      Log(LogSeverity::kWarning,
          absl::StrCat("model store poll failed: ", result.status().message()));
    } else if (result->added > 0 || result->dropped > 0) {
      Log(LogSeverity::kInfo, absl::StrCat("model store poll: ", result->added,
                                           " new, ", result->dropped, " gone"));
    }
  }
}

}  // namespace jkoflow

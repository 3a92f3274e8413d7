#ifndef JKOFLOW_SERVER_SERVING_STORE_POLLER_H_
#define JKOFLOW_SERVER_SERVING_STORE_POLLER_H_

#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "server/serving/model_registry.h"

namespace jkoflow {

// StorePoller runs ModelRegistry::Sync() every `period` on its own thread
// (--model_poll_s), so that a replica serving a shared store picks up the
// versions another process published and drops removed ones; it logs what
// changed and any error. The destructor stops it (at most one Sync() in
// flight finishes first). Borrows `registry`.
class StorePoller {
 public:
  StorePoller(ModelRegistry* registry, absl::Duration period);
  ~StorePoller();
  StorePoller(const StorePoller&) = delete;
  StorePoller& operator=(const StorePoller&) = delete;

 private:
  void Loop();

  ModelRegistry* const registry_;
  const absl::Duration period_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_SERVING_STORE_POLLER_H_

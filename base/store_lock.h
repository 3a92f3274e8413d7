#ifndef JKOFLOW_BASE_STORE_LOCK_H_
#define JKOFLOW_BASE_STORE_LOCK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace jkoflow {

// StoreLock is the exclusive lock a process holds on a model store while
// it trains into it: flock(2) on `<model_dir>/.train.lock`, which also
// records the holder's host and pid. Replicas that share a store for
// serving may be many; trainers only one at a time. The lock goes with the
// object (or with the process, if it dies).
class StoreLock {
 public:
  // Acquire() takes the lock without waiting. FAILED_PRECONDITION naming
  // the holder when another process (or another StoreLock) has it;
  // UNAVAILABLE when the lock file cannot be opened.
  static absl::StatusOr<std::unique_ptr<StoreLock>> Acquire(
      const std::string& model_dir);
  ~StoreLock();
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;

 private:
  explicit StoreLock(int fd) : fd_(fd) {}
  const int fd_;
};

}  // namespace jkoflow

#endif  // JKOFLOW_BASE_STORE_LOCK_H_

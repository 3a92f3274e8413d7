#ifndef JKOFLOW_BASE_MUTEX_CONDITION_H_
#define JKOFLOW_BASE_MUTEX_CONDITION_H_

// MutexCondition: the predicate of an absl::Mutex wait, made visible to
// ThreadSanitizer.
//
// Abseil evaluates the predicate of Await / LockWhen inside the library,
// sometimes on another thread (the one that unlocks the mutex evaluates the
// waiters' predicates). Abseil holds the mutex while it does so, but
// Debian's Abseil is not built with TSan, so in a TSan build the predicate's
// reads of guarded members look unsynchronised with every writer. In a TSan
// build, MutexCondition tells TSan that `mu` is held around each
// evaluation; in any other build it is absl::Condition of the predicate and
// nothing more.
//
// Usage:
//   auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { ... };
//   const MutexCondition<decltype(ready)> cond(&mu_, &ready);
//   mu_.Await(cond.condition());

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

#if defined(__SANITIZE_THREAD__)
#define JKOFLOW_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define JKOFLOW_TSAN 1
#endif
#endif

#if defined(JKOFLOW_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

namespace jkoflow {

// MutexCondition holds the mutex and predicate of one wait; both must
// outlive it, and it must outlive the wait. `Predicate` is callable with
// no arguments and returns bool; it runs with `mu` held.
template <typename Predicate>
class MutexCondition {
 public:
  MutexCondition(absl::Mutex* mu, const Predicate* predicate)
      : mu_(mu), predicate_(predicate) {}
  MutexCondition(const MutexCondition&) = delete;
  MutexCondition& operator=(const MutexCondition&) = delete;

  // condition() is the absl::Condition to pass to Await or LockWhen.
  absl::Condition condition() const {
    return absl::Condition(this, &MutexCondition::Evaluate);
  }

 private:
  bool Evaluate() const ABSL_NO_THREAD_SAFETY_ANALYSIS {
#if defined(JKOFLOW_TSAN)
    __tsan_mutex_pre_lock(mu_, 0);
    __tsan_mutex_post_lock(mu_, 0, 0);
    const bool met = (*predicate_)();
    __tsan_mutex_pre_unlock(mu_, 0);
    __tsan_mutex_post_unlock(mu_, 0);
    return met;
#else
    return (*predicate_)();
#endif
  }

  absl::Mutex* const mu_;
  const Predicate* const predicate_;
};

}  // namespace jkoflow

#endif  // JKOFLOW_BASE_MUTEX_CONDITION_H_

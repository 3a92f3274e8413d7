// absl_tsan_annotations.cc: linked into every binary of a TSan build
// (-DJKOFLOW_SANITIZE=thread) and nowhere else.
//
// Debian's Abseil is not built with TSan, so TSan cannot see absl::Mutex
// and absl::CondVar synchronise anything: every ABSL_GUARDED_BY member
// touched by two threads would be reported as a race. This file defines
// the Mutex and CondVar members that lock and unlock; the linker binds our
// calls (and, through the executable's exported symbols, gRPC's) to them.
// Each tells TSan what happens (the __tsan_mutex_* annotations that an
// instrumented Abseil makes itself) and calls the library's function,
// found with dlsym(RTLD_NEXT). Tied to Abseil 20220623's ABI; conditions
// are evaluated inside Abseil and are suppressed in deploy/tsan.supp.

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace {

#define JKOFLOW_STRINGIFY_INNER_(x) #x
#define JKOFLOW_STRINGIFY_(x) JKOFLOW_STRINGIFY_INNER_(x)

// Real() is the library's definition of the member whose mangled name,
// after "_ZN4absl<namespace>", is `rest`; aborts when there is none.
template <typename Fn>
Fn Real(const char* rest) {
  const std::string ns = JKOFLOW_STRINGIFY_(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  const std::string name =
      "_ZN4absl" + std::to_string(ns.size()) + ns + rest;
  void* fn = dlsym(RTLD_NEXT, name.c_str());
  if (fn == nullptr) {
    std::fprintf(stderr, "tsan annotations: no %s\n", name.c_str());
    std::abort();
  }
  return reinterpret_cast<Fn>(fn);
}

using MutexFn = void (*)(absl::Mutex*);
using TryFn = bool (*)(absl::Mutex*);
using CondFn = void (*)(absl::Mutex*, const absl::Condition&);
using CondTimeoutFn = bool (*)(absl::Mutex*, const absl::Condition&,
                               absl::Duration);
using CondDeadlineFn = bool (*)(absl::Mutex*, const absl::Condition&,
                                absl::Time);
using WaitFn = void (*)(absl::CondVar*, absl::Mutex*);
using WaitTimeoutFn = bool (*)(absl::CondVar*, absl::Mutex*, absl::Duration);
using WaitDeadlineFn = bool (*)(absl::CondVar*, absl::Mutex*, absl::Time);

// Acquired() / Released() tell TSan that `mu` was taken or given up.
void Acquired(void* mu, unsigned flags) {
  __tsan_mutex_pre_lock(mu, flags);
  __tsan_mutex_post_lock(mu, flags, 0);
}
void Released(void* mu, unsigned flags) {
  __tsan_mutex_pre_unlock(mu, flags);
  __tsan_mutex_post_unlock(mu, flags);
}

// Tried() reports a try-lock's outcome.
bool Tried(void* mu, unsigned flags, bool locked) {
  flags |= __tsan_mutex_try_lock;
  __tsan_mutex_pre_lock(mu, flags);
  if (!locked) flags |= __tsan_mutex_try_lock_failed;
  __tsan_mutex_post_lock(mu, flags, 0);
  return locked;
}

constexpr unsigned kShared = __tsan_mutex_read_lock;

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

Mutex::~Mutex() {
  static const MutexFn real = Real<MutexFn>("5MutexD1Ev");
  __tsan_mutex_destroy(this, 0);
  real(this);
}

void Mutex::Lock() {
  static const MutexFn real = Real<MutexFn>("5Mutex4LockEv");
  real(this);
  Acquired(this, 0);
}

void Mutex::Unlock() {
  static const MutexFn real = Real<MutexFn>("5Mutex6UnlockEv");
  Released(this, 0);
  real(this);
}

bool Mutex::TryLock() {
  static const TryFn real = Real<TryFn>("5Mutex7TryLockEv");
  return Tried(this, 0, real(this));
}

void Mutex::ReaderLock() {
  static const MutexFn real = Real<MutexFn>("5Mutex10ReaderLockEv");
  real(this);
  Acquired(this, kShared);
}

void Mutex::ReaderUnlock() {
  static const MutexFn real = Real<MutexFn>("5Mutex12ReaderUnlockEv");
  Released(this, kShared);
  real(this);
}

bool Mutex::ReaderTryLock() {
  static const TryFn real = Real<TryFn>("5Mutex13ReaderTryLockEv");
  return Tried(this, kShared, real(this));
}

void Mutex::LockWhen(const Condition& cond) {
  static const CondFn real =
      Real<CondFn>("5Mutex8LockWhenERKNS0_9ConditionE");
  real(this, cond);
  Acquired(this, 0);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  static const CondFn real =
      Real<CondFn>("5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  real(this, cond);
  Acquired(this, kShared);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond,
                                absl::Duration timeout) {
  static const CondTimeoutFn real = Real<CondTimeoutFn>(
      "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  const bool met = real(this, cond, timeout);
  Acquired(this, 0);  // held whether or not the condition became true
  return met;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond,
                                 absl::Time deadline) {
  static const CondDeadlineFn real = Real<CondDeadlineFn>(
      "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const bool met = real(this, cond, deadline);
  Acquired(this, 0);
  return met;
}

// Await*() and CondVar::Wait*() release the mutex while they wait and
// hold it again when they return.
void Mutex::Await(const Condition& cond) {
  static const CondFn real = Real<CondFn>("5Mutex5AwaitERKNS0_9ConditionE");
  Released(this, 0);
  real(this, cond);
  Acquired(this, 0);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, absl::Duration timeout) {
  static const CondTimeoutFn real = Real<CondTimeoutFn>(
      "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Released(this, 0);
  const bool met = real(this, cond, timeout);
  Acquired(this, 0);
  return met;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, absl::Time deadline) {
  static const CondDeadlineFn real = Real<CondDeadlineFn>(
      "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Released(this, 0);
  const bool met = real(this, cond, deadline);
  Acquired(this, 0);
  return met;
}

void CondVar::Wait(Mutex* mu) {
  static const WaitFn real = Real<WaitFn>("7CondVar4WaitEPNS0_5MutexE");
  Released(mu, 0);
  real(this, mu);
  Acquired(mu, 0);
}

bool CondVar::WaitWithTimeout(Mutex* mu, absl::Duration timeout) {
  static const WaitTimeoutFn real = Real<WaitTimeoutFn>(
      "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  Released(mu, 0);
  const bool timed_out = real(this, mu, timeout);
  Acquired(mu, 0);
  return timed_out;
}

bool CondVar::WaitWithDeadline(Mutex* mu, absl::Time deadline) {
  static const WaitDeadlineFn real = Real<WaitDeadlineFn>(
      "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  Released(mu, 0);
  const bool timed_out = real(this, mu, deadline);
  Acquired(mu, 0);
  return timed_out;
}

ABSL_NAMESPACE_END
}  // namespace absl

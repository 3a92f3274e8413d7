// absl_tsan_annotations.cc: linked into every binary of a TSan build
// (-DJKOFLOW_SANITIZE=thread) and nowhere else.
//
// Debian's Abseil is not built with TSan, so TSan cannot see absl::Mutex
// and absl::CondVar synchronise anything: every ABSL_GUARDED_BY member
// touched by two threads would be reported as a race. This file defines
// the Mutex, CondVar and Notification members that lock, unlock, signal
// and wait; the linker binds our calls (and, through the executable's
// exported symbols, Abseil's and gRPC's own) to them.
// Each tells TSan what happens (the __tsan_mutex_* annotations that an
// instrumented Abseil makes itself) and calls the library's function,
// found with dlsym(RTLD_NEXT). Tied to Abseil 20220623's ABI. Conditions
// are evaluated inside Abseil, where these annotations cannot reach; our
// waits pass their predicates through base/mutex_condition.h, which
// annotates each evaluation.

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace {

#define JKOFLOW_STRINGIFY_INNER_(x) #x
#define JKOFLOW_STRINGIFY_(x) JKOFLOW_STRINGIFY_INNER_(x)

// Real() is the library's definition of the member whose mangled name,
// after "<prefix>4absl<namespace>", is `rest` ("_ZN", or "_ZNK" for a
// const member); aborts when there is none.
template <typename Fn>
Fn Real(const char* rest, const char* prefix = "_ZN") {
  const std::string ns = JKOFLOW_STRINGIFY_(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  const std::string name =
      prefix + ("4absl" + std::to_string(ns.size())) + ns + rest;
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

// CalledFromOurCode() says whether `caller` lies in the module that holds
// this file (the instrumented executable), not in a shared library.
bool CalledFromOurCode(const void* caller) {
  static const void* const own_base = [] {
    Dl_info info{};
    dladdr(reinterpret_cast<const void*>(&Released), &info);
    return info.dli_fbase;
  }();
  Dl_info info{};
  return dladdr(caller, &info) != 0 && info.dli_fbase == own_base;
}

// Abseil calls its own members too (LockWhenWithTimeout calls
// LockWhenWithDeadline through ours); only the outermost call annotates,
// or TSan would count one lock twice.
thread_local int depth = 0;

// Outer marks a call; outer() is true when no other call encloses it.
class Outer {
 public:
  Outer() : outer_(depth++ == 0) {}
  ~Outer() { --depth; }
  bool operator()() const { return outer_; }

 private:
  const bool outer_;
};

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

// A Mutex that an uninstrumented library (gRPC) destroys is left out of
// TSan's destroy check: the library drops its last reference through its
// own atomics, which TSan cannot see, so the destruction would look
// unordered with the last lock on another thread. Ours are checked.
Mutex::~Mutex() {
  static const MutexFn real = Real<MutexFn>("5MutexD1Ev");
  if (CalledFromOurCode(__builtin_return_address(0))) {
    __tsan_mutex_destroy(this, 0);
  }
  real(this);
}

void Mutex::Lock() {
  const Outer outer;
  static const MutexFn real = Real<MutexFn>("5Mutex4LockEv");
  real(this);
  if (outer()) Acquired(this, 0);
}

void Mutex::Unlock() {
  const Outer outer;
  static const MutexFn real = Real<MutexFn>("5Mutex6UnlockEv");
  if (outer()) Released(this, 0);
  real(this);
}

bool Mutex::TryLock() {
  const Outer outer;
  static const TryFn real = Real<TryFn>("5Mutex7TryLockEv");
  const bool locked = real(this);
  return outer() ? Tried(this, 0, locked) : locked;
}

void Mutex::ReaderLock() {
  const Outer outer;
  static const MutexFn real = Real<MutexFn>("5Mutex10ReaderLockEv");
  real(this);
  if (outer()) Acquired(this, kShared);
}

void Mutex::ReaderUnlock() {
  const Outer outer;
  static const MutexFn real = Real<MutexFn>("5Mutex12ReaderUnlockEv");
  if (outer()) Released(this, kShared);
  real(this);
}

bool Mutex::ReaderTryLock() {
  const Outer outer;
  static const TryFn real = Real<TryFn>("5Mutex13ReaderTryLockEv");
  const bool locked = real(this);
  return outer() ? Tried(this, kShared, locked) : locked;
}

void Mutex::LockWhen(const Condition& cond) {
  const Outer outer;
  static const CondFn real = Real<CondFn>("5Mutex8LockWhenERKNS0_9ConditionE");
  real(this, cond);
  if (outer()) Acquired(this, 0);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  const Outer outer;
  static const CondFn real =
      Real<CondFn>("5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  real(this, cond);
  if (outer()) Acquired(this, kShared);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  const Outer outer;
  static const CondTimeoutFn real = Real<CondTimeoutFn>(
      "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  const bool met = real(this, cond, timeout);
  // Held whether or not the condition became true.
  if (outer()) Acquired(this, 0);
  return met;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, absl::Time deadline) {
  const Outer outer;
  static const CondDeadlineFn real = Real<CondDeadlineFn>(
      "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const bool met = real(this, cond, deadline);
  if (outer()) Acquired(this, 0);
  return met;
}

// Await*() and CondVar::Wait*() release the mutex while they wait and
// hold it again when they return.
void Mutex::Await(const Condition& cond) {
  const Outer outer;
  static const CondFn real = Real<CondFn>("5Mutex5AwaitERKNS0_9ConditionE");
  if (outer()) Released(this, 0);
  real(this, cond);
  if (outer()) Acquired(this, 0);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, absl::Duration timeout) {
  const Outer outer;
  static const CondTimeoutFn real = Real<CondTimeoutFn>(
      "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  if (outer()) Released(this, 0);
  const bool met = real(this, cond, timeout);
  if (outer()) Acquired(this, 0);
  return met;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, absl::Time deadline) {
  const Outer outer;
  static const CondDeadlineFn real = Real<CondDeadlineFn>(
      "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  if (outer()) Released(this, 0);
  const bool met = real(this, cond, deadline);
  if (outer()) Acquired(this, 0);
  return met;
}

void CondVar::Wait(Mutex* mu) {
  const Outer outer;
  static const WaitFn real = Real<WaitFn>("7CondVar4WaitEPNS0_5MutexE");
  if (outer()) Released(mu, 0);
  real(this, mu);
  if (outer()) Acquired(mu, 0);
}

bool CondVar::WaitWithTimeout(Mutex* mu, absl::Duration timeout) {
  const Outer outer;
  static const WaitTimeoutFn real = Real<WaitTimeoutFn>(
      "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  if (outer()) Released(mu, 0);
  const bool timed_out = real(this, mu, timeout);
  if (outer()) Acquired(mu, 0);
  return timed_out;
}

bool CondVar::WaitWithDeadline(Mutex* mu, absl::Time deadline) {
  const Outer outer;
  static const WaitDeadlineFn real =
      Real<WaitDeadlineFn>("7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  if (outer()) Released(mu, 0);
  const bool timed_out = real(this, mu, deadline);
  if (outer()) Acquired(mu, 0);
  return timed_out;
}

// Notification's waits may return on a lock-free check of its flag, so
// Notify() releases and a finished wait acquires the notification itself.
// (HasBeenNotified() is inline and stays invisible.)
void Notification::Notify() {
  static const auto real =
      Real<void (*)(Notification*)>("12Notification6NotifyEv");
  __tsan_release(this);
  real(this);
}

void Notification::WaitForNotification() const {
  static const auto real = Real<void (*)(const Notification*)>(
      "12Notification19WaitForNotificationEv", "_ZNK");
  real(this);
  __tsan_acquire(const_cast<Notification*>(this));
}

bool Notification::WaitForNotificationWithTimeout(
    absl::Duration timeout) const {
  static const auto real = Real<bool (*)(const Notification*, absl::Duration)>(
      "12Notification30WaitForNotificationWithTimeoutENS0_8DurationE", "_ZNK");
  const bool notified = real(this, timeout);
  __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(absl::Time deadline) const {
  static const auto real = Real<bool (*)(const Notification*, absl::Time)>(
      "12Notification31WaitForNotificationWithDeadlineENS0_4TimeE", "_ZNK");
  const bool notified = real(this, deadline);
  __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

ABSL_NAMESPACE_END
}  // namespace absl

#ifndef JKOFLOW_SERVER_RPC_EXECUTOR_H_
#define JKOFLOW_SERVER_RPC_EXECUTOR_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace jkoflow {

// Executor is a small fixed pool of threads for the blocking work that RPC
// handlers must not do inside a gRPC reaction (loading a model, reading a
// data file, writing an upload). Tasks run in FIFO order. Thread-safe. The
// destructor runs the tasks already scheduled, then joins the threads.
class Executor {
 public:
  explicit Executor(int num_threads);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Schedule() queues `task`. After destruction has begun, tasks are still
  // accepted and run before the threads exit.
  void Schedule(std::function<void()> task);

 private:
  void Loop();

  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_RPC_EXECUTOR_H_

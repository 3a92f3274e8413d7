#ifndef JKOFLOW_TESTS_INTEGRATION_SUBPROCESS_H_
#define JKOFLOW_TESTS_INTEGRATION_SUBPROCESS_H_

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace jkoflow {
namespace integration {

// ExitStatus is how a child process ended: an exit code or a signal.
struct ExitStatus {
  int code = -1;   // exit code when the process exited, else -1
  int signal = 0;  // the signal that killed it, else 0
  bool Exited(int expected) const { return signal == 0 && code == expected; }
  std::string ToString() const;
};

// Subprocess runs one child process (fork + exec) whose stdout and stderr go
// to files, which the test reads while it runs. The child gets an empty
// signal mask, default SIGPIPE handling and PR_SET_PDEATHSIG = SIGKILL, so
// that a crashed test never leaves it behind. The destructor kills (SIGKILL)
// and reaps a child that is still running. Not thread-safe, except Signal()
// and pid(), which any thread may call while another waits.
class Subprocess {
 public:
  // Spawn() starts argv[0] (a path; no PATH search) with `argv`. stdout goes
  // to `stdout_path` and stderr to `stderr_path`; both are truncated, and may
  // be the same file. Must be called from a thread that outlives the child
  // (PDEATHSIG follows the thread that forked).
  static absl::StatusOr<std::unique_ptr<Subprocess>> Spawn(
      const std::vector<std::string>& argv, const std::string& stdout_path,
      const std::string& stderr_path);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // Running() reaps the child if it has ended; true while it runs.
  bool Running();
  // Signal() sends `signal` to a running child.
  void Signal(int signal);
  // Wait() waits up to `timeout` for the child to end and returns how it
  // ended (also on later calls); DEADLINE_EXCEEDED if it is still running.
  absl::StatusOr<ExitStatus> Wait(absl::Duration timeout);
  // Kill() sends SIGKILL and reaps the child.
  ExitStatus Kill();

 private:
  explicit Subprocess(pid_t pid) : pid_(pid) {}
  // TryReap() collects the exit status without blocking; true once ended.
  bool TryReap();

  const pid_t pid_;
  std::atomic<bool> ended_{false};
  ExitStatus status_;
};

// CommandResult is the outcome of RunCommand().
struct CommandResult {
  ExitStatus exit;
  std::string output;  // stdout and stderr, interleaved as written
};

// RunCommand() runs `argv` to completion with stdout and stderr captured in
// `scratch_file`, waiting at most `timeout` (then it is killed and the
// result is DEADLINE_EXCEEDED).
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const std::string& scratch_file,
                                         absl::Duration timeout);

// ReadFileOrEmpty() returns the contents of `path`, or "" when unreadable.
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace integration
}  // namespace jkoflow

#endif  // JKOFLOW_TESTS_INTEGRATION_SUBPROCESS_H_

#ifndef JKOFLOW_TESTS_INTEGRATION_SERVER_PROCESS_H_
#define JKOFLOW_TESTS_INTEGRATION_SERVER_PROCESS_H_

#include <signal.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "subprocess.h"

namespace jkoflow {
namespace integration {

// ServerBinary() is the path of the jkoflow-server built with the tests.
std::string ServerBinary();

// ServerProcess is a real `jkoflow-server` child process on free loopback
// ports (--port=0, --metrics_listen=127.0.0.1:0), with its model, job and
// data directories under one test directory. The destructor kills (SIGKILL)
// a server that is still running; tests stop it with Terminate() to check a
// clean exit. Not thread-safe, except address()/pid() and the signals.
class ServerProcess {
 public:
  struct Options {
    // Directory holding models/, jobs/, data/ and the server's output files.
    // Required; it must exist.
    std::string dir;
    // Extra flags ("--max_samples_per_request=1000", ...).
    std::vector<std::string> flags;
    // LibTorch threads of the server (--threads).
    int threads = 1;
    // How long to wait for the "listening on"/"metrics on" lines.
    absl::Duration start_timeout = absl::Seconds(120);
  };

  // Start() launches the server and waits until it has printed both of its
  // addresses. Returns the server's stderr in the error when it exits or
  // stays silent instead. Starting again on the same `dir` (a restart)
  // keeps the directories and writes new output files.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const Options& options);
  ~ServerProcess() = default;

  // "127.0.0.1:<port>" of gRPC and of the Prometheus /metrics endpoint.
  const std::string& address() const { return address_; }
  const std::string& metrics_address() const { return metrics_address_; }
  pid_t pid() const { return process_->pid(); }

  std::string model_dir() const { return dir_ + "/models"; }
  std::string job_dir() const { return dir_ + "/jobs"; }
  std::string data_dir() const { return dir_ + "/data"; }

  // Running() is true while the process runs.
  bool Running() { return process_->Running(); }
  // Terminate() sends SIGTERM and waits up to `timeout` for the exit; on a
  // timeout the server is killed and DEADLINE_EXCEEDED returned.
  absl::StatusOr<ExitStatus> Terminate(absl::Duration timeout);
  // SendTerm() only sends SIGTERM (for tests that race it with calls).
  void SendTerm() { process_->Signal(SIGTERM); }
  // Wait() waits for an exit already asked for.
  absl::StatusOr<ExitStatus> Wait(absl::Duration timeout) {
    return process_->Wait(timeout);
  }
  // Kill() sends SIGKILL (a crash) and reaps the process.
  ExitStatus Kill() { return process_->Kill(); }

  // Log() is what the server wrote to stderr so far.
  std::string Log() const { return ReadFileOrEmpty(stderr_path_); }

  // NewClient() makes a jkoflow::Client for this server.
  std::unique_ptr<Client> NewClient(
      absl::Duration timeout = absl::Seconds(60)) const;

 private:
  ServerProcess() = default;

  std::string dir_;
  std::string stdout_path_;
  std::string stderr_path_;
  std::string address_;
  std::string metrics_address_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace integration
}  // namespace jkoflow

#endif  // JKOFLOW_TESTS_INTEGRATION_SERVER_PROCESS_H_

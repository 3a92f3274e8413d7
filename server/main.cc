// jkoflow-server: serves JKO flow models over gRPC and trains new ones.
// Every setting has an embedded default (see --help); SIGTERM or SIGINT
// drains and exits 0; SIGHUP reloads --auth_token_file.

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "base/program_flags.h"
#include "core/compute_setup.h"
#include "server/app/server.h"
#include "server/app/server_flags.h"
#include "server/observability/log.h"

namespace {

// The write end of a pipe the signal handler writes the signal number to.
// Libraries may start threads before main() (so a blocked-signal mask with
// sigwait() cannot catch every delivery); a handler works on any thread.
// The threads the server starts block the signals all the same (see
// main()), so that they reach the main thread, waiting in read(): a thread
// busy inside an uninstrumented library would run the handler only at its
// next intercepted call under TSan, possibly never.
int signal_pipe[2] = {-1, -1};

// ShutdownSignals() is the set {SIGTERM, SIGINT, SIGHUP}.
sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

extern "C" void OnSignal(int signal_number) {
  const char byte = static_cast<char>(signal_number);
  const int saved_errno = errno;
  (void)!write(signal_pipe[1], &byte, 1);
  errno = saved_errno;
}

// WaitForSignal() blocks until SIGTERM, SIGINT or SIGHUP and returns its
// number.
int WaitForSignal() {
  char byte = 0;
  while (read(signal_pipe[0], &byte, 1) < 0 && errno == EINTR) {
  }
  return byte;
}

// InstallSignalHandlers() sends SIGTERM, SIGINT and SIGHUP to the signal
// pipe; false when the pipe cannot be made.
bool InstallSignalHandlers() {
  if (pipe(signal_pipe) != 0) return false;
  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  // No SA_RESTART: the main thread's read() must end with EINTR, so that a
  // runtime that defers handlers to the end of a call (TSan) runs ours.
  action.sa_flags = 0;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGHUP, &action, nullptr);
  return true;
}

// ServeUntilShutdown() reloads the tokens on each SIGHUP and returns the
// signal that asked the server to stop.
int ServeUntilShutdown(jkoflow::Server& server) {
  int signal_number = WaitForSignal();
  for (; signal_number == SIGHUP; signal_number = WaitForSignal()) {
    const absl::Status reloaded = server.ReloadAuth();
    if (reloaded.ok()) {
      jkoflow::Log(jkoflow::LogSeverity::kInfo, "SIGHUP: tokens reloaded");
    } else {
      jkoflow::Log(
          jkoflow::LogSeverity::kError,
          absl::StrCat("SIGHUP: keeping the old tokens: ", reloaded.message()));
    }
  }
  return signal_number;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "serves and trains JKO flow models over gRPC; every flag has a "
      "default.\nUsage: jkoflow-server [--flag=value ...]");
  // --help lists the server's flags (defined in server_flags.cc).
  jkoflow::HelpListsFlagsFrom("server/app/server_flags.cc");
  absl::ParseCommandLine(argc, argv);

  if (!InstallSignalHandlers()) {
    jkoflow::Log(jkoflow::LogSeverity::kError, "cannot create a pipe");
    return 1;
  }
  // Blocked while the server starts its threads, which inherit the mask;
  // unblocked on this thread once it waits (a signal meanwhile is held).
  const sigset_t shutdown_signals = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &shutdown_signals, nullptr);

  const absl::StatusOr<jkoflow::ServerOptions> options =
      jkoflow::ServerOptionsFromFlags();
  if (!options.ok()) {
    jkoflow::Log(jkoflow::LogSeverity::kError, options.status().message());
    return 2;
  }
  jkoflow::SetUpCompute(jkoflow::ThreadsFromFlags());

  absl::StatusOr<std::unique_ptr<jkoflow::Server>> server =
      jkoflow::Server::Start(*options);
  if (!server.ok()) {
    jkoflow::Log(jkoflow::LogSeverity::kError,
                 absl::StrCat("cannot start: ", server.status().ToString()));
    return 1;
  }
  std::printf("listening on %s\n", (*server)->listen_address().c_str());
  std::printf("metrics on %s\n", (*server)->metrics_address().c_str());
  if (!(*server)->http_address().empty()) {
    std::printf("http on %s\n", (*server)->http_address().c_str());
  }
  std::fflush(stdout);

  pthread_sigmask(SIG_UNBLOCK, &shutdown_signals, nullptr);
  const int signal_number = ServeUntilShutdown(**server);
  jkoflow::Log(jkoflow::LogSeverity::kInfo,
               absl::StrCat("signal ", signal_number, ": shutting down"));
  if (!(*server)->Shutdown()) {
    // The training thread still runs: exit without destroying what it
    // uses, within --drain_timeout.
    std::fflush(nullptr);
    _exit(0);
  }
  server->reset();
  return 0;
}

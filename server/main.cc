// jkoflow-server: serves JKO flow models over gRPC and trains new ones.
// Every setting has an embedded default (see --help); SIGTERM or SIGINT
// drains and exits 0.

#include <ATen/Parallel.h>
#include <signal.h>

#include <cstdio>
#include <memory>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "server/log.h"
#include "server/server.h"
#include "server/server_flags.h"

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "jkoflow-server: serves and trains JKO flow models over gRPC.\n"
      "Usage: jkoflow-server [--flag=value ...]");
  absl::ParseCommandLine(argc, argv);

  // Signals are taken by sigwait() below: block them before any thread
  // starts, so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const absl::StatusOr<jkoflow::ServerOptions> options =
      jkoflow::ServerOptionsFromFlags();
  if (!options.ok()) {
    jkoflow::Log(jkoflow::LogSeverity::kError, options.status().message());
    return 2;
  }
  const int threads = jkoflow::ThreadsFromFlags();
  at::set_num_threads(threads);
  at::set_num_interop_threads(threads);

  absl::StatusOr<std::unique_ptr<jkoflow::Server>> server =
      jkoflow::Server::Start(*options);
  if (!server.ok()) {
    jkoflow::Log(jkoflow::LogSeverity::kError,
                 absl::StrCat("cannot start: ", server.status().ToString()));
    return 1;
  }
  std::printf("listening on %s\n", (*server)->listen_address().c_str());
  std::printf("metrics on %s\n", (*server)->metrics_address().c_str());
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  jkoflow::Log(jkoflow::LogSeverity::kInfo,
               absl::StrCat("signal ", signal_number, ": shutting down"));
  (*server)->Shutdown();
  server->reset();
  return 0;
}

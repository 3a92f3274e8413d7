#include "server_process.h"

#include <signal.h>

#include <atomic>
#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

#ifndef JKOFLOW_SERVER_BINARY
#error "JKOFLOW_SERVER_BINARY must name the jkoflow-server executable"
#endif

namespace jkoflow {
namespace integration {
namespace {

// FindAddress() returns the address after `prefix` on a complete line of
// `text` (the port of a line still being written would be cut short), or "".
std::string FindAddress(const std::string& text, absl::string_view prefix) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  lines.pop_back();  // "" after the last newline, or an unfinished line
  for (absl::string_view line : lines) {
    if (absl::ConsumePrefix(&line, prefix)) {
      return std::string(absl::StripAsciiWhitespace(line));
    }
  }
  return "";
}

}  // namespace

std::string ServerBinary() { return JKOFLOW_SERVER_BINARY; }

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const Options& options) {
  static std::atomic<int> starts{0};
  if (options.dir.empty()) return absl::InvalidArgumentError("dir: required");
  std::unique_ptr<ServerProcess> server(new ServerProcess());
  server->dir_ = options.dir;
  std::error_code ec;
  for (const std::string& sub :
       {server->model_dir(), server->job_dir(), server->data_dir()}) {
    std::filesystem::create_directories(sub, ec);
    if (ec) {
      return absl::InternalError(
          absl::StrCat("cannot create ", sub, ": ", ec.message()));
    }
  }
  const int n = starts++;
  server->stdout_path_ = absl::StrCat(options.dir, "/server-", n, ".stdout");
  server->stderr_path_ = absl::StrCat(options.dir, "/server-", n, ".stderr");
  std::vector<std::string> argv = {
      ServerBinary(),
      "--port=0",
      "--metrics_listen=127.0.0.1:0",
      absl::StrCat("--model_dir=", server->model_dir()),
      absl::StrCat("--job_dir=", server->job_dir()),
      absl::StrCat("--data_dir=", server->data_dir()),
      absl::StrCat("--threads=", options.threads),
  };
  argv.insert(argv.end(), options.flags.begin(), options.flags.end());
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Spawn(argv, server->stdout_path_, server->stderr_path_);
  if (!process.ok()) return process.status();
  server->process_ = *std::move(process);

  const absl::Time deadline = absl::Now() + options.start_timeout;
  while (true) {
    const std::string out = ReadFileOrEmpty(server->stdout_path_);
    server->address_ = FindAddress(out, "listening on ");
    server->metrics_address_ = FindAddress(out, "metrics on ");
    if (!server->address_.empty() && !server->metrics_address_.empty()) break;
    if (!server->process_->Running()) {
      absl::StatusOr<ExitStatus> exit =
          server->process_->Wait(absl::ZeroDuration());
      return absl::FailedPreconditionError(
          absl::StrCat("jkoflow-server exited before listening (",
                       exit.ok() ? exit->ToString() : "?", "); stdout:\n", out,
                       "\nstderr:\n", server->Log()));
    }
    if (absl::Now() >= deadline) {
      server->process_->Kill();
      return absl::DeadlineExceededError(
          absl::StrCat("jkoflow-server printed no addresses within ",
                       absl::FormatDuration(options.start_timeout),
                       "; stdout:\n", out, "\nstderr:\n", server->Log()));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return server;
}

absl::StatusOr<ExitStatus> ServerProcess::Terminate(absl::Duration timeout) {
  process_->Signal(SIGTERM);
  absl::StatusOr<ExitStatus> exit = process_->Wait(timeout);
  if (!exit.ok()) {
    process_->Kill();
    return absl::DeadlineExceededError(
        absl::StrCat("jkoflow-server ignored SIGTERM for ",
                     absl::FormatDuration(timeout), "; stderr:\n", Log()));
  }
  return exit;
}

std::unique_ptr<Client> ServerProcess::NewClient(absl::Duration timeout) const {
  ClientOptions options;
  options.server = address_;
  options.timeout = timeout;
  options.watch_timeout = absl::Minutes(5);  // a stuck job fails the test
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Create(std::move(options));
  return client.ok() ? *std::move(client) : nullptr;
}

}  // namespace integration
}  // namespace jkoflow

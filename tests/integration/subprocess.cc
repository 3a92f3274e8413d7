#include "subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace jkoflow {
namespace integration {
namespace {

ExitStatus Decode(int wait_status) {
  ExitStatus status;
  if (WIFEXITED(wait_status)) {
    status.code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    status.signal = WTERMSIG(wait_status);
  }
  return status;
}

absl::Status ErrnoError(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

}  // namespace

std::string ExitStatus::ToString() const {
  if (signal != 0) {
    return absl::StrCat("killed by signal ", signal, " (", strsignal(signal),
                        ")");
  }
  return absl::StrCat("exit code ", code);
}

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Spawn(
    const std::vector<std::string>& argv, const std::string& stdout_path,
    const std::string& stderr_path) {
  if (argv.empty()) return absl::InvalidArgumentError("argv: empty");
  // Everything the child needs is prepared before fork(): after it, only
  // async-signal-safe calls are allowed (the test process has threads).
  std::vector<char*> args;
  for (const std::string& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const int out_fd =
      open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0) return ErrnoError(absl::StrCat("open ", stdout_path));
  int err_fd = out_fd;
  if (stderr_path != stdout_path) {
    err_fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                  0644);
    if (err_fd < 0) {
      close(out_fd);
      return ErrnoError(absl::StrCat("open ", stderr_path));
    }
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(out_fd);
    if (err_fd != out_fd) close(err_fd);
    return ErrnoError("fork");
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died already
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out_fd);
  if (err_fd != out_fd) close(err_fd);
  return std::unique_ptr<Subprocess>(new Subprocess(pid));
}

Subprocess::~Subprocess() {
  if (!TryReap()) Kill();
}

bool Subprocess::TryReap() {
  if (ended_) return true;
  int wait_status = 0;
  const pid_t r = waitpid(pid_, &wait_status, WNOHANG);
  if (r == pid_) {
    status_ = Decode(wait_status);
    ended_ = true;
  } else if (r < 0 && errno == ECHILD) {
    ended_ = true;  // reaped elsewhere; status unknown
  }
  return ended_;
}

bool Subprocess::Running() { return !TryReap(); }

void Subprocess::Signal(int signal) {
  if (!ended_) kill(pid_, signal);
}

absl::StatusOr<ExitStatus> Subprocess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!TryReap()) {
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("process ", pid_, " still running after ",
                       absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  return status_;
}

ExitStatus Subprocess::Kill() {
  if (!ended_) {
    kill(pid_, SIGKILL);
    int wait_status = 0;
    if (waitpid(pid_, &wait_status, 0) == pid_) status_ = Decode(wait_status);
    ended_ = true;
  }
  return status_;
}

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const std::string& scratch_file,
                                         absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<Subprocess>> child =
      Subprocess::Spawn(argv, scratch_file, scratch_file);
  if (!child.ok()) return child.status();
  absl::StatusOr<ExitStatus> exit = (*child)->Wait(timeout);
  if (!exit.ok()) {
    (*child)->Kill();
    return absl::DeadlineExceededError(
        absl::StrCat(argv[0], ": ", exit.status().message(), "; output:\n",
                     ReadFileOrEmpty(scratch_file)));
  }
  CommandResult result;
  result.exit = *exit;
  result.output = ReadFileOrEmpty(scratch_file);
  return result;
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

}  // namespace integration
}  // namespace jkoflow

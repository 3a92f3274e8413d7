#include "base/store_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace jkoflow {
namespace {

// Holder() is what the lock file says about its holder, or "unknown".
std::string Holder(int fd) {
  char text[256] = {};
  const ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
  if (n <= 0) return "unknown";
  return std::string(absl::StripTrailingAsciiWhitespace(
      absl::string_view(text, static_cast<size_t>(n))));
}

}  // namespace

absl::StatusOr<std::unique_ptr<StoreLock>> StoreLock::Acquire(
    const std::string& model_dir) {
  const std::string path = absl::StrCat(model_dir, "/.train.lock");
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open the model store's lock file ", path, ": ",
                     std::strerror(errno)));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    const std::string holder = Holder(fd);
    close(fd);
    if (error == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "another process (", holder, ") is training into the model store ",
          model_dir, "; only one process may train into a store at a time"));
    }
    return absl::UnavailableError(
        absl::StrCat("cannot lock ", path, ": ", std::strerror(error)));
  }
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  const std::string holder =
      absl::StrCat("host ", host, ", pid ", static_cast<long>(getpid()), "\n");
  if (ftruncate(fd, 0) == 0) {
    const ssize_t written = pwrite(fd, holder.data(), holder.size(), 0);
    (void)written;  // the holder's name is a courtesy; the lock is flock
  }
  return std::unique_ptr<StoreLock>(new StoreLock(fd));
}

StoreLock::~StoreLock() {
  flock(fd_, LOCK_UN);
  close(fd_);
}

}  // namespace jkoflow

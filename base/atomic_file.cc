#include "base/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"

namespace jkoflow {
namespace {

// Returns an error built from `error_number` whose message is
// "<path>: <what>: <strerror>".
absl::Status PathError(int error_number, const std::string& path,
                       absl::string_view what) {
  return absl::ErrnoToStatus(error_number, absl::StrCat(path, ": ", what));
}

// Returns the directory part of `path` ("." when it has none).
std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Closes `fd`, retrying nothing (POSIX leaves the descriptor state unspecified
// after EINTR); returns errno on failure, 0 on success.
int CloseFd(int fd) { return ::close(fd) == 0 ? 0 : errno; }

// Writes all of `data` to `fd`, retrying on EINTR and short writes. Returns 0
// on success or the errno value of the failed write.
int WriteAll(int fd, absl::string_view data) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return 0;
}

std::atomic<uint64_t> temp_counter{0};

}  // namespace

absl::Status SyncDirectory(const std::string& dir) {
  const std::string name = dir.empty() ? "." : dir;
  int fd;
  do {
    fd = ::open(name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return PathError(errno, name, "cannot open directory");
  int sync_error = 0;
  if (::fsync(fd) != 0 && errno != EINVAL) sync_error = errno;
  const int close_error = CloseFd(fd);
  if (sync_error != 0) {
    return PathError(sync_error, name, "cannot fsync directory");
  }
  if (close_error != 0) {
    return PathError(close_error, name, "cannot close directory");
  }
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents) {
  if (path.empty()) {
    return absl::InvalidArgumentError("WriteFileAtomically: empty path");
  }
  const std::string temp_path =
      absl::StrCat(path, ".tmp.", static_cast<int64_t>(::getpid()), ".",
                   temp_counter.fetch_add(1, std::memory_order_relaxed));
  int fd;
  do {
    fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                0666);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    return PathError(errno, path,
                     absl::StrCat("cannot create temporary file ", temp_path));
  }

  absl::Status status;
  if (const int err = WriteAll(fd, contents); err != 0) {
    status = PathError(err, path, "cannot write temporary file");
  } else if (::fsync(fd) != 0) {
    status = PathError(errno, path, "cannot fsync temporary file");
  }
  if (const int err = CloseFd(fd); err != 0 && status.ok()) {
    status = PathError(err, path, "cannot close temporary file");
  }
  if (status.ok() && ::rename(temp_path.c_str(), path.c_str()) != 0) {
    status = PathError(errno, path, "cannot rename temporary file over it");
  }
  if (!status.ok()) {
    ::unlink(temp_path.c_str());
    return status;
  }
  return SyncDirectory(DirectoryOf(path));
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return PathError(errno, path, "cannot open for reading");

  std::string contents;
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    contents.reserve(static_cast<size_t>(st.st_size));
  }
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return PathError(err, path, "cannot read");
    }
    if (n == 0) break;
    contents.append(buffer, static_cast<size_t>(n));
  }
  if (const int err = CloseFd(fd); err != 0) {
    return PathError(err, path, "cannot close");
  }
  return contents;
}

}  // namespace jkoflow

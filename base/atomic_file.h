#ifndef JKOFLOW_BASE_ATOMIC_FILE_H_
#define JKOFLOW_BASE_ATOMIC_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jkoflow {

// WriteFileAtomically replaces the file at `path` with `contents` so that
// readers see either the old file or the complete new one, never a partial
// write. It writes a uniquely named temporary file in the same directory
// ("<path>.tmp.<pid>.<counter>"), fsyncs it, renames it over `path` and fsyncs
// the directory. The directory must exist. On failure it removes the temporary
// file, leaves any old file at `path` untouched, and returns an error (code
// derived from errno) whose message names the path and the strerror text.
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents);

// ReadFileToString returns the whole contents of the regular file at `path`.
// Returns NotFound if the file does not exist, and another error naming the
// path and the strerror text if it cannot be opened or read (for instance
// because it is a directory).
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// SyncDirectory fsyncs the directory `dir` so that entries recently created,
// renamed or removed in it survive a crash. An empty `dir` means ".".
// Filesystems that do not support fsync on directories (EINVAL) are treated as
// success. Returns an error naming the directory and the strerror text if it
// cannot be opened or synced.
absl::Status SyncDirectory(const std::string& dir);

}  // namespace jkoflow

#endif  // JKOFLOW_BASE_ATOMIC_FILE_H_

#ifndef JKOFLOW_SERVER_AUTH_AUTH_TOKENS_H_
#define JKOFLOW_SERVER_AUTH_AUTH_TOKENS_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jkoflow {

// Role is what a bearer token may do; each role includes the ones below.
enum class Role { kRead = 1, kTrain = 2, kAdmin = 3 };

// RoleName() is "read", "train" or "admin".
absl::string_view RoleName(Role role);

// TokenOwnerId() is the id under which a token owns jobs and model names
// (job records, manifests): "sha256:" and the first 16 hex digits of the
// token's SHA-256. It is stable across restarts and reloads and, for a
// token of 64 or more random bits, reveals nothing usable about it; the
// token itself is never written anywhere. A rotated token gets a new id:
// its old models are then changed through an admin token.
std::string TokenOwnerId(absl::string_view token);

// TokenTable maps bearer tokens to roles. Immutable once built, so it is
// thread-safe; share it as std::shared_ptr<const TokenTable>.
class TokenTable {
 public:
  // Parse() reads the text of a token file: one "TOKEN ROLE" per line,
  // blank lines and lines starting with '#' ignored. INVALID_ARGUMENT names
  // the first malformed line by number (never its token).
  static absl::StatusOr<TokenTable> Parse(absl::string_view text);

  // Find() is the role of `token`, or nullopt. It compares against every
  // entry in time independent of where (or whether) the token matches.
  std::optional<Role> Find(absl::string_view token) const;

  size_t size() const { return entries_.size(); }

 private:
  std::vector<std::pair<std::string, Role>> entries_;
};

// LoadTokenFile() reads and parses `path`. FAILED_PRECONDITION when the
// file is readable or writable by group or others (chmod 600 it), NOT_FOUND
// or PERMISSION_DENIED when it cannot be read; each message names the file.
absl::StatusOr<TokenTable> LoadTokenFile(const std::string& path);

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_AUTH_AUTH_TOKENS_H_

#include "server/auth/auth_tokens.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/sha256.h"

namespace jkoflow {
namespace {

std::optional<Role> ParseRole(absl::string_view name) {
  if (name == "read") return Role::kRead;
  if (name == "train") return Role::kTrain;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

// ConstantTimeEqual() looks at every byte of `secret` whatever `guess` is,
// so the time taken tells nothing about how much of the token matched.
bool ConstantTimeEqual(absl::string_view guess, absl::string_view secret) {
  unsigned char diff = guess.size() == secret.size() ? 0 : 1;
  for (size_t i = 0; i < secret.size(); ++i) {
    const unsigned char g =
        i < guess.size() ? static_cast<unsigned char>(guess[i]) : 0;
    diff |= g ^ static_cast<unsigned char>(secret[i]);
  }
  return diff == 0;
}

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kRead:
      return "read";
    case Role::kTrain:
      return "train";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

std::string TokenOwnerId(absl::string_view token) {
  return absl::StrCat("sha256:", Sha256Hex(token).substr(0, 16));
}

absl::StatusOr<TokenTable> TokenTable::Parse(absl::string_view text) {
  TokenTable table;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_number, ": expected \"TOKEN ROLE\", got ",
                       fields.size(), " fields"));
    }
    const std::optional<Role> role = ParseRole(fields[1]);
    if (!role.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", line_number, ": role must be read, train or admin"));
    }
    if (table.Find(fields[0]).has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_number, ": token listed twice"));
    }
    table.entries_.emplace_back(std::string(fields[0]), *role);
  }
  return table;
}

std::optional<Role> TokenTable::Find(absl::string_view token) const {
  std::optional<Role> found;
  for (const auto& [secret, role] : entries_) {
    if (ConstantTimeEqual(token, secret)) found = role;
  }
  return found;
}

absl::StatusOr<TokenTable> LoadTokenFile(const std::string& path) {
  const std::string name = absl::StrCat("--auth_token_file ", path);
  struct stat info = {};
  if (stat(path.c_str(), &info) != 0) {
    const int error = errno;
    const std::string message =
        absl::StrCat(name, ": cannot read: ", std::strerror(error));
    return error == ENOENT ? absl::NotFoundError(message)
                           : absl::PermissionDeniedError(message);
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(name,
                     ": readable or writable by group or others; "
                     "run chmod 600 on it"));
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    return absl::PermissionDeniedError(absl::StrCat(name, ": cannot read"));
  }
  absl::StatusOr<TokenTable> table = TokenTable::Parse(text.str());
  if (!table.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": ", table.status().message()));
  }
  return table;
}

}  // namespace jkoflow

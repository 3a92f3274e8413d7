#include "server/jobs/store_usage.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace jkoflow {
namespace fs = std::filesystem;

int64_t DirectoryBytes(const std::string& dir) {
  int64_t total = 0;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::error_code file_ec;
    if (!it->is_regular_file(file_ec) || file_ec) continue;
    const uintmax_t size = it->file_size(file_ec);
    if (!file_ec) total += static_cast<int64_t>(size);
  }
  return total;
}

absl::Status CheckStoreBytes(const std::vector<std::string>& dirs,
                             int64_t limit) {
  if (limit <= 0) return absl::OkStatus();
  int64_t total = 0;
  for (const std::string& dir : dirs) total += DirectoryBytes(dir);
  if (total < limit) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      "store full: models and jobs hold ", total, " bytes, the limit is ",
      limit, " (--max_store_bytes); remove old model versions or jobs"));
}

}  // namespace jkoflow

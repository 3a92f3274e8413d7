#include "core/store_layout.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace jkoflow {
namespace fs = std::filesystem;

std::string ModelVersionDir(const std::string& model_dir,
                            const std::string& name, int64_t version) {
  return (fs::path(model_dir) / name / absl::StrCat("v", version)).string();
}

int64_t ParseVersionDirName(const std::string& dir_name) {
  if (dir_name.size() < 2 || dir_name.size() > 19 || dir_name[0] != 'v') {
    return 0;
  }
  for (size_t i = 1; i < dir_name.size(); ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(dir_name[i]))) {
      return 0;
    }
  }
  int64_t version = 0;
  if (!absl::SimpleAtoi(dir_name.substr(1), &version)) return 0;
  return version;
}

std::vector<int64_t> ModelVersionsOnDisk(const std::string& model_dir,
                                         const std::string& name) {
  std::vector<int64_t> versions;
  std::error_code ec;
  for (fs::directory_iterator it(fs::path(model_dir) / name, ec), end;
       !ec && it != end; it.increment(ec)) {
    const int64_t v = ParseVersionDirName(it->path().filename().string());
    if (v > 0 && it->is_directory(ec)) versions.push_back(v);
  }
  std::sort(versions.begin(), versions.end());
  return versions;
}

}  // namespace jkoflow

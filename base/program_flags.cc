#include "base/program_flags.h"

#include <string>
#include <thread>

#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"

namespace jkoflow {

void HelpListsFlagsFrom(absl::string_view path_part) {
  const std::string part(path_part);
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [part](absl::string_view file) {
    return absl::StrContains(file, part);
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  usage.normalize_filename = [part](absl::string_view file) {
    const size_t at = file.rfind(part);
    return std::string(at == absl::string_view::npos ? file : file.substr(at));
  };
  absl::SetFlagsUsageConfig(usage);
}

int ThreadsOrCores(int threads) {
  if (threads > 0) return threads;
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  return cores > 0 ? cores : 1;
}

}  // namespace jkoflow

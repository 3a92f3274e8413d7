#include "server/observability/log.h"

#include <cstdio>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace jkoflow {

void Log(LogSeverity severity, absl::string_view message) {
  static absl::Mutex mu(absl::kConstInit);
  const char tag = severity == LogSeverity::kInfo      ? 'I'
                   : severity == LogSeverity::kWarning ? 'W'
                                                       : 'E';
  const std::string time = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                            absl::UTCTimeZone());
  absl::MutexLock lock(&mu);
  std::fprintf(stderr, "%s %c %.*s\n", time.c_str(), tag,
               static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
}

}  // namespace jkoflow

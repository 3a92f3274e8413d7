#ifndef JKOFLOW_SERVER_OBSERVABILITY_LOG_H_
#define JKOFLOW_SERVER_OBSERVABILITY_LOG_H_

#include "absl/strings/string_view.h"

namespace jkoflow {

// LogSeverity of a server log line.
enum class LogSeverity { kInfo, kWarning, kError };

// Log() writes one line "<UTC time> <I|W|E> <message>" to stderr. Thread-safe
// (lines never interleave). Stdout is reserved for the lines tests parse
// ("listening on …", "metrics on …"), so the server logs nothing else there.
void Log(LogSeverity severity, absl::string_view message);

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_OBSERVABILITY_LOG_H_

#ifndef JKOFLOW_BASE_PROGRAM_FLAGS_H_
#define JKOFLOW_BASE_PROGRAM_FLAGS_H_

#include "absl/strings/string_view.h"

namespace jkoflow {

// HelpListsFlagsFrom() makes --help and --helpshort list the Abseil flags
// defined in source files whose path contains `path_part` (such as
// "server/app/server_flags.cc" or "bench/"), shown by their path from there
// on. Call it before absl::ParseCommandLine().
void HelpListsFlagsFrom(absl::string_view path_part);

// ThreadsOrCores() is `threads` when positive, else the number of cores
// (at least 1): the LibTorch thread count of a --threads flag.
int ThreadsOrCores(int threads);

}  // namespace jkoflow

#endif  // JKOFLOW_BASE_PROGRAM_FLAGS_H_

#ifndef JKOFLOW_SERVER_JOBS_STORE_USAGE_H_
#define JKOFLOW_SERVER_JOBS_STORE_USAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace jkoflow {

// DirectoryBytes() is the total size of the regular files under `dir`,
// recursively; entries that vanish or cannot be read count as 0.
int64_t DirectoryBytes(const std::string& dir);

// CheckStoreBytes() is RESOURCE_EXHAUSTED naming --max_store_bytes when the
// files under `dirs` (the model and job stores) hold `limit` bytes or
// more; a limit ≤ 0 accepts any size. It walks the directories on every
// call: call it once per new job, off gRPC reaction threads.
absl::Status CheckStoreBytes(const std::vector<std::string>& dirs,
                             int64_t limit);

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_JOBS_STORE_USAGE_H_

// job_record_fuzz: JobStore::ParseRecord() (server/jobs/job_store.h) on
// arbitrary job.json contents, as a server reads them at start. An
// accepted record must save and load back unchanged: otherwise a job
// would be lost or altered by the next restart.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "fuzz/fuzz_check.h"
#include "server/jobs/job_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using jkoflow::JobRecord;
  using jkoflow::JobStore;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<JobRecord> record = JobStore::ParseRecord(text);
  if (!record.ok()) return 0;
  FUZZ_CHECK(!record->job.id.empty());
  const absl::StatusOr<std::string> saved = JobStore::SerializeRecord(*record);
  FUZZ_CHECK(saved.ok());
  const absl::StatusOr<JobRecord> reloaded = JobStore::ParseRecord(*saved);
  FUZZ_CHECK(reloaded.ok());
  const absl::StatusOr<std::string> resaved =
      JobStore::SerializeRecord(*reloaded);
  FUZZ_CHECK(resaved.ok() && *resaved == *saved);
  return 0;
}

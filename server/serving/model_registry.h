#ifndef JKOFLOW_SERVER_SERVING_MODEL_REGISTRY_H_
#define JKOFLOW_SERVER_SERVING_MODEL_REGISTRY_H_

#include <torch/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "core/flow_model.h"
#include "server/observability/metrics.h"

namespace jkoflow {

// ValidateModelName() accepts [A-Za-z0-9_.-]{1,64} except "." and ".." (a
// name is a directory of the model store). Errors are INVALID_ARGUMENT
// naming `field`.
absl::Status ValidateModelName(absl::string_view name,
                               absl::string_view field = "model.name");

// ModelVersionState says whether a registered model version can serve.
enum class ModelVersionState { kLoaded, kUnloaded, kFailed };

// ModelVersion is a snapshot of one registered version. `model` is set only
// when `state` is kLoaded; it stays valid as long as the snapshot is held,
// even if the version is unloaded meanwhile.
struct ModelVersion {
  std::string name;
  int64_t version = 0;
  ModelVersionState state = ModelVersionState::kUnloaded;
  std::string error;  // why loading failed (kFailed)
  std::shared_ptr<const FlowModel> model;
  // End-to-end inversion error measured at load (NaN when not measured).
  double inversion_error = 0;
  double load_seconds = 0;
};

// ModelRegistry serves the model store `<model_dir>/<name>/v<version>/`
// (each a core model directory, see core/model_store.h). Loaded models are
// immutable and shared as std::shared_ptr<const FlowModel>, swapped under a
// mutex; loading reads and checks files outside the lock. Thread-safe.
class ModelRegistry {
 public:
  struct Options {
    std::string model_dir = "./var/models";
    torch::Device device = torch::Device("cpu");
    // Noise points on which the inversion error is measured at load; 0
    // skips the measurement.
    int64_t inversion_points = 1000;
    // Parameters one block may have (--max_block_params); a version with a
    // bigger block fails to load before its weights are read. 0: no limit.
    int64_t max_block_params = 0;
    Metrics* metrics = nullptr;  // not owned; may be null
  };

  // Create() makes the store directory if needed (no scan yet).
  static absl::StatusOr<std::unique_ptr<ModelRegistry>> Create(
      const Options& options);

  // LoadAll() scans the store and loads every version. A version that fails
  // to load is registered as kFailed with its reason and does not stop the
  // others. Returns an error only when the store cannot be listed.
  absl::Status LoadAll();

  // SyncResult counts what Sync() changed.
  struct SyncResult {
    int64_t added = 0;    // versions found on disk and loaded (or failed)
    int64_t dropped = 0;  // versions whose directory is gone
  };

  // Sync() brings the registry in line with a store that another process
  // may change (--model_poll_s: a training Job publishing into a shared
  // store): it loads every version on disk that the registry does not know
  // and forgets every version whose directory is gone (requests holding
  // one finish with it). Versions it knows stay as they are (an unload
  // stays an unload; a failed version is not retried). Serialised with
  // Publish(). UNAVAILABLE only when the store cannot be listed.
  absl::StatusOr<SyncResult> Sync();

  // Load() (re)loads `version` of `name` from disk, or every version on disk
  // when `version` is 0, and returns the resulting snapshots. NOT_FOUND when
  // nothing matches on disk; FAILED_PRECONDITION (with the reason) when the
  // one named version fails to load. With version 0, failures are reported
  // in the snapshots' state and error.
  absl::StatusOr<std::vector<ModelVersion>> Load(const std::string& name,
                                                 int64_t version);

  // Unload() drops `version` (0: every version) of `name` from memory;
  // requests holding the model finish with it. NOT_FOUND for an unknown
  // name or version.
  absl::Status Unload(const std::string& name, int64_t version);

  // Resolve() returns the loaded version to serve: `version`, or the newest
  // loaded one when 0. NOT_FOUND for an unknown name or version,
  // FAILED_PRECONDITION when it is known but not loaded.
  absl::StatusOr<ModelVersion> Resolve(const std::string& name,
                                       int64_t version) const;

  // Get() returns `version` whatever its state; with 0 the newest loaded
  // version, else the newest registered one. NOT_FOUND when unknown.
  absl::StatusOr<ModelVersion> Get(const std::string& name,
                                   int64_t version) const;

  // List() returns every registered version, sorted by name then version.
  std::vector<ModelVersion> List() const;

  // NextVersion() is one more than the highest version of `name` on disk or
  // registered (1 for a new name).
  absl::StatusOr<int64_t> NextVersion(const std::string& name) const;

  // Publish() writes `model` as `version` of `name` (atomically, see
  // SaveModel) and loads it. If that version already exists on disk (a
  // publish interrupted after the write) it is loaded as it is. A version
  // that does not load is removed from disk and the registry (INTERNAL).
  absl::Status Publish(const std::string& name, int64_t version,
                       const FlowModel& model);

  // RemoveOldVersions() deletes the versions of `name` older than its
  // newest `keep` on disk from the registry and the disk (--keep_versions;
  // there is no pinning, so the newest are the ones kept); requests holding
  // one finish with it. keep ≤ 0 removes nothing. Returns how many went.
  int64_t RemoveOldVersions(const std::string& name, int64_t keep);

  // VersionDir() is `<model_dir>/<name>/v<version>`.
  std::string VersionDir(const std::string& name, int64_t version) const;

 private:
  explicit ModelRegistry(const Options& options) : options_(options) {}

  // NamesOnDisk() lists the model-name directories of the store, sorted;
  // UNAVAILABLE when it cannot be listed.
  absl::StatusOr<std::vector<std::string>> NamesOnDisk() const;
  // VersionsOnDisk() lists the v<N> directories of `name`, ascending.
  std::vector<int64_t> VersionsOnDisk(const std::string& name) const;
  // LoadVersion() reads and checks one version (no lock held) and records
  // the outcome.
  ModelVersion LoadVersion(const std::string& name, int64_t version);
  void UpdateLoadedGauge() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  mutable absl::Mutex mu_;
  // name → version → snapshot.
  std::map<std::string, std::map<int64_t, ModelVersion>> models_
      ABSL_GUARDED_BY(mu_);
  // Serialises Publish() so two writers never pick the same directory.
  absl::Mutex publish_mu_;
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_SERVING_MODEL_REGISTRY_H_

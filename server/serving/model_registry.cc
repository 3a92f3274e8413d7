#include "server/serving/model_registry.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iterator>
#include <limits>
#include <map>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "core/block_diagnostics.h"
#include "core/model_store.h"
#include "core/store_layout.h"
#include "server/observability/log.h"

namespace jkoflow {
namespace fs = std::filesystem;
namespace {

// ExportDiagnostics() sets the block diagnostic gauges of a loaded model
// (blocks without diagnostics export only their trajectory).
void ExportDiagnostics(const FlowModel& model, const std::string& name,
                       int64_t version, Metrics& metrics) {
  const std::vector<TrajectoryPoint> trajectory = ModelTrajectory(model);
  for (int64_t k = 0; k < model.num_blocks(); ++k) {
    const BlockDiagnostics& d = model.stats(k).diagnostics;
    const TrajectoryPoint& p = trajectory[k];
    metrics.SetBlockDiagnostic(name, version, k + 1, "step_sum", p.step_sum);
    metrics.SetBlockDiagnostic(name, version, k + 1, "kl_plus_entropy",
                               p.kl_plus_entropy);
    const BlockStats& stats = model.stats(k);
    metrics.SetBlockDiagnostic(name, version, k + 1, "kl_decrease",
                               stats.kl_decrease);
    metrics.SetBlockDiagnostic(name, version, k + 1, "kl_decrease_std_error",
                               stats.kl_decrease_std_error);
    if (d.points == 0) continue;
    for (const BlockDiagnosticField& field : kBlockDiagnosticFields) {
      metrics.SetBlockDiagnostic(name, version, k + 1, field.name,
                                 d.*field.member);
    }
    metrics.SetBlockDiagnostic(name, version, k + 1, "lipschitz_product",
                               p.lipschitz_product);
    metrics.SetBlockDiagnostic(name, version, k + 1, "certificate",
                               p.certificate);
    metrics.SetBlockDiagnostic(name, version, k + 1, "convergence_kl_bound",
                               p.bound.kl);
    metrics.SetBlockDiagnostic(name, version, k + 1, "convergence_w2_bound",
                               p.bound.w2);
  }
}

}  // namespace

absl::Status ValidateModelName(absl::string_view name,
                               absl::string_view field) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be 1 to 64 characters, got ", name.size()));
  }
  if (name == "." || name == "..") {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", name, "\" is not a model name"));
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' &&
        c != '.' && c != '-') {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": only [A-Za-z0-9_.-] are allowed, got \"", name, "\""));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ModelRegistry>> ModelRegistry::Create(
    const Options& options) {
  std::error_code ec;
  fs::create_directories(options.model_dir, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat(
        "--model_dir: cannot create ", options.model_dir, ": ", ec.message()));
  }
  return std::unique_ptr<ModelRegistry>(new ModelRegistry(options));
}

std::string ModelRegistry::VersionDir(const std::string& name,
                                      int64_t version) const {
  return ModelVersionDir(options_.model_dir, name, version);
}

std::vector<int64_t> ModelRegistry::VersionsOnDisk(
    const std::string& name) const {
  return ModelVersionsOnDisk(options_.model_dir, name);
}

ModelVersion ModelRegistry::LoadVersion(const std::string& name,
                                        int64_t version) {
  ModelVersion entry;
  entry.name = name;
  entry.version = version;
  entry.inversion_error = std::numeric_limits<double>::quiet_NaN();
  const absl::Time start = absl::Now();
  absl::StatusOr<FlowModel> model = LoadModel(
      VersionDir(name, version), options_.device, options_.max_block_params);
  if (absl::IsResourceExhausted(model.status())) {
    model = absl::ResourceExhaustedError(
        absl::StrCat(model.status().message(), " (--max_block_params)"));
  }
  if (model.ok() && model->dim() < 1) {
    model = absl::DataLossError("manifest: dimension must be at least 1");
  }
  if (model.ok() && options_.inversion_points > 0 && model->num_blocks() > 0) {
    absl::StatusOr<torch::Tensor> noise =
        model->Noise(options_.inversion_points, /*seed=*/0);
    absl::StatusOr<FlowModel::InversionReport> report =
        noise.ok() ? model->InversionError(*noise)
                   : absl::StatusOr<FlowModel::InversionReport>(noise.status());
    if (report.ok()) {
      entry.inversion_error = report->end_to_end;
    } else {
      model = report.status();
    }
  }
  entry.load_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (model.ok()) {
    entry.state = ModelVersionState::kLoaded;
    entry.model = std::make_shared<const FlowModel>(*std::move(model));
    Log(LogSeverity::kInfo,
        absl::StrCat("loaded model ", name, " v", version, " (",
                     entry.model->num_blocks(), " blocks, dim ",
                     entry.model->dim(), ") in ", entry.load_seconds, " s"));
  } else {
    entry.state = ModelVersionState::kFailed;
    entry.error = std::string(model.status().message());
    Log(LogSeverity::kWarning, absl::StrCat("model ", name, " v", version,
                                            " failed to load: ", entry.error));
  }
  if (options_.metrics != nullptr) {
    options_.metrics->ObserveModelLoadSeconds(entry.load_seconds);
    if (entry.state == ModelVersionState::kLoaded &&
        std::isfinite(entry.inversion_error)) {
      options_.metrics->SetInversionError(name, entry.inversion_error);
    }
    if (entry.state == ModelVersionState::kLoaded) {
      ExportDiagnostics(*entry.model, name, version, *options_.metrics);
    }
  }
  absl::MutexLock lock(&mu_);
  models_[name][version] = entry;
  UpdateLoadedGauge();
  return entry;
}

absl::StatusOr<std::vector<std::string>> ModelRegistry::NamesOnDisk() const {
  std::error_code ec;
  std::vector<std::string> names;
  for (fs::directory_iterator it(options_.model_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (ValidateModelName(name).ok() && it->is_directory(ec)) {
      names.push_back(name);
    }
  }
  if (ec) {
    return absl::UnavailableError(absl::StrCat(
        "--model_dir: cannot list ", options_.model_dir, ": ", ec.message()));
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::Status ModelRegistry::LoadAll() {
  ASSIGN_OR_RETURN(const std::vector<std::string> names, NamesOnDisk());
  for (const std::string& name : names) {
    for (int64_t version : VersionsOnDisk(name)) LoadVersion(name, version);
  }
  return absl::OkStatus();
}

absl::StatusOr<ModelRegistry::SyncResult> ModelRegistry::Sync() {
  absl::MutexLock publish_lock(&publish_mu_);
  ASSIGN_OR_RETURN(const std::vector<std::string> names, NamesOnDisk());
  std::map<std::string, std::vector<int64_t>> on_disk;
  for (const std::string& name : names) on_disk[name] = VersionsOnDisk(name);
  SyncResult result;
  // Forget what is gone, then load what is new (outside mu_).
  std::vector<std::pair<std::string, int64_t>> missing;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = models_.begin(); it != models_.end();) {
      const std::vector<int64_t>& disk = on_disk[it->first];
      for (auto v = it->second.begin(); v != it->second.end();) {
        if (std::binary_search(disk.begin(), disk.end(), v->first)) {
          ++v;
          continue;
        }
        Log(LogSeverity::kInfo,
            absl::StrCat("model ", it->first, " v", v->first,
                         " is gone from the store; dropped"));
        v = it->second.erase(v);
        ++result.dropped;
      }
      it = it->second.empty() ? models_.erase(it) : std::next(it);
    }
    for (const auto& [name, versions] : on_disk) {
      const auto known = models_.find(name);
      for (const int64_t version : versions) {
        if (known == models_.end() || known->second.count(version) == 0) {
          missing.emplace_back(name, version);
        }
      }
    }
    UpdateLoadedGauge();
  }
  for (const auto& [name, version] : missing) LoadVersion(name, version);
  result.added = static_cast<int64_t>(missing.size());
  return result;
}

absl::StatusOr<std::vector<ModelVersion>> ModelRegistry::Load(
    const std::string& name, int64_t version) {
  RETURN_IF_ERROR(ValidateModelName(name));
  if (version < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("model.version: must be ≥ 0, got ", version));
  }
  std::vector<int64_t> versions = VersionsOnDisk(name);
  if (version > 0) {
    if (std::find(versions.begin(), versions.end(), version) ==
        versions.end()) {
      return absl::NotFoundError(absl::StrCat("model ", name, " v", version,
                                              ": not in the model store"));
    }
    versions = {version};
  }
  if (versions.empty()) {
    return absl::NotFoundError(
        absl::StrCat("model ", name, ": not in the model store"));
  }
  std::vector<ModelVersion> loaded;
  for (int64_t v : versions) loaded.push_back(LoadVersion(name, v));
  if (version > 0 && loaded.front().state == ModelVersionState::kFailed) {
    return absl::FailedPreconditionError(
        absl::StrCat("model ", name, " v", version,
                     " failed to load: ", loaded.front().error));
  }
  return loaded;
}

absl::Status ModelRegistry::Unload(const std::string& name, int64_t version) {
  absl::MutexLock lock(&mu_);
  auto it = models_.find(name);
  if (it == models_.end()) {
    return absl::NotFoundError(absl::StrCat("model ", name, ": unknown"));
  }
  if (version != 0 && it->second.count(version) == 0) {
    return absl::NotFoundError(
        absl::StrCat("model ", name, " v", version, ": unknown"));
  }
  for (auto& [v, entry] : it->second) {
    if (version != 0 && v != version) continue;
    if (entry.state == ModelVersionState::kLoaded) {
      entry.state = ModelVersionState::kUnloaded;
      entry.model.reset();
    }
  }
  UpdateLoadedGauge();
  return absl::OkStatus();
}

absl::StatusOr<ModelVersion> ModelRegistry::Get(const std::string& name,
                                                int64_t version) const {
  absl::MutexLock lock(&mu_);
  auto it = models_.find(name);
  if (it == models_.end() || it->second.empty()) {
    return absl::NotFoundError(absl::StrCat("model ", name, ": unknown"));
  }
  if (version != 0) {
    auto v = it->second.find(version);
    if (v == it->second.end()) {
      return absl::NotFoundError(
          absl::StrCat("model ", name, " v", version, ": unknown"));
    }
    return v->second;
  }
  for (auto v = it->second.rbegin(); v != it->second.rend(); ++v) {
    if (v->second.state == ModelVersionState::kLoaded) return v->second;
  }
  return it->second.rbegin()->second;
}

absl::StatusOr<ModelVersion> ModelRegistry::Resolve(const std::string& name,
                                                    int64_t version) const {
  ASSIGN_OR_RETURN(ModelVersion entry, Get(name, version));
  if (entry.state != ModelVersionState::kLoaded) {
    const std::string what =
        version == 0
            ? absl::StrCat("model ", name, " has no loaded version")
            : absl::StrCat("model ", name, " v", version, " is not loaded");
    return absl::FailedPreconditionError(absl::StrCat(
        what, entry.error.empty() ? "" : absl::StrCat(" (", entry.error, ")"),
        "; call LoadModel first"));
  }
  return entry;
}

std::vector<ModelVersion> ModelRegistry::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<ModelVersion> all;
  for (const auto& [name, versions] : models_) {
    for (const auto& [version, entry] : versions) all.push_back(entry);
  }
  return all;
}

absl::StatusOr<int64_t> ModelRegistry::NextVersion(
    const std::string& name) const {
  RETURN_IF_ERROR(ValidateModelName(name));
  int64_t highest = 0;
  const std::vector<int64_t> on_disk = VersionsOnDisk(name);
  if (!on_disk.empty()) highest = on_disk.back();
  absl::MutexLock lock(&mu_);
  auto it = models_.find(name);
  if (it != models_.end() && !it->second.empty()) {
    highest = std::max(highest, it->second.rbegin()->first);
  }
  return highest + 1;
}

absl::Status ModelRegistry::Publish(const std::string& name, int64_t version,
                                    const FlowModel& model) {
  RETURN_IF_ERROR(ValidateModelName(name));
  absl::MutexLock publish_lock(&publish_mu_);
  const std::string dir = VersionDir(name, version);
  std::error_code ec;
  if (!fs::exists(fs::path(dir) / "manifest.json", ec)) {
    RETURN_IF_ERROR(SaveModel(model, dir));
  }
  ModelVersion entry = LoadVersion(name, version);
  if (entry.state == ModelVersionState::kFailed) {
    // Never leave a version that cannot serve: remove it from the store and
    // the registry, so the job fails and the name's versions stay loadable.
    fs::remove_all(dir, ec);
    {
      absl::MutexLock lock(&mu_);
      auto it = models_.find(name);
      if (it != models_.end()) {
        it->second.erase(version);
        if (it->second.empty()) models_.erase(it);
      }
      UpdateLoadedGauge();
    }
    return absl::InternalError(absl::StrCat(
        "model ", name, " v", version,
        " was written but does not load, so it was removed: ", entry.error));
  }
  return absl::OkStatus();
}

int64_t ModelRegistry::RemoveOldVersions(const std::string& name,
                                         int64_t keep) {
  if (keep <= 0 || !ValidateModelName(name).ok()) return 0;
  absl::MutexLock publish_lock(&publish_mu_);
  const std::vector<int64_t> versions = VersionsOnDisk(name);
  const int64_t excess = static_cast<int64_t>(versions.size()) - keep;
  int64_t removed = 0;
  for (int64_t i = 0; i < excess; ++i) {
    const int64_t version = versions[i];
    {
      absl::MutexLock lock(&mu_);
      auto it = models_.find(name);
      if (it != models_.end()) it->second.erase(version);
      UpdateLoadedGauge();
    }
    // Renamed aside first, so a crash never leaves half a version that
    // the next start would try to load.
    const fs::path dir = VersionDir(name, version);
    const fs::path aside =
        dir.parent_path() /
        absl::StrCat(".", dir.filename().string(), ".removing");
    std::error_code ec;
    fs::remove_all(aside, ec);
    fs::rename(dir, aside, ec);
    if (ec) continue;
    fs::remove_all(aside, ec);
    ++removed;
    Log(LogSeverity::kInfo, absl::StrCat("removed model ", name, " v", version,
                                         " (--keep_versions=", keep, ")"));
  }
  return removed;
}

void ModelRegistry::UpdateLoadedGauge() {
  if (options_.metrics == nullptr) return;
  int64_t loaded = 0;
  for (const auto& [name, versions] : models_) {
    for (const auto& [version, entry] : versions) {
      loaded += entry.state == ModelVersionState::kLoaded;
    }
  }
  options_.metrics->SetModelsLoaded(loaded);
}

}  // namespace jkoflow

#include "server/jobs/job_store.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/atomic_file.h"
#include "base/json_integer.h"
#include "base/status_macros.h"
#include "server/jobs/job_record_json.h"

namespace jkoflow {
namespace fs = std::filesystem;
using nlohmann::json;
namespace {

// Format 2: the job room's own encoding (job_record_json.h); format 1
// records (protobuf's JSON of the job and hyper-parameters) still read.
constexpr int kRecordFormat = 2;
constexpr int kOldestRecordFormat = 1;
constexpr char kRecordFile[] = "job.json";
constexpr char kJobPrefix[] = "job-";
constexpr char kCheckpointPrefix[] = "checkpoint-";

const char* SourceName(DataSpec::Source source) {
  switch (source) {
    case DataSpec::Source::kGenerator:
      return "generator";
    case DataSpec::Source::kFile:
      return "file";
    case DataSpec::Source::kUpload:
      return "upload";
  }
  return "";
}

// DataSpecFromJson() reads a record's "data" object (json::exception for a
// missing or mistyped field; DATA_LOSS for an unknown source).
absl::Status DataSpecFromJson(const json& data, DataSpec* spec) {
  const std::string source = data.at("source").get<std::string>();
  spec->dim = JsonInteger<int64_t>(data.at("dim"));
  if (source == "generator") {
    spec->source = DataSpec::Source::kGenerator;
    spec->generator = data.at("generator").get<std::string>();
    spec->n = JsonInteger<int64_t>(data.at("n"));
    spec->seed = JsonInteger<uint64_t>(data.at("seed"));
  } else if (source == "file") {
    spec->source = DataSpec::Source::kFile;
    spec->file = data.at("file").get<std::string>();
    for (const json& extent : data.value("item_shape", json::array())) {
      spec->item_shape.push_back(JsonInteger<int64_t>(extent));
    }
  } else if (source == "upload") {
    spec->source = DataSpec::Source::kUpload;
    spec->upload_job = data.at("upload_job").get<std::string>();
  } else {
    return absl::DataLossError(
        absl::StrCat("job record: unknown data source ", source));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<JobStore>> JobStore::Create(
    const std::string& root) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("--job_dir: cannot create ", root, ": ", ec.message()));
  }
  return std::unique_ptr<JobStore>(new JobStore(root));
}

std::string JobStore::JobDir(const std::string& id) const {
  return (fs::path(root_) / id).string();
}

std::string JobStore::DataPath(const std::string& id) const {
  return (fs::path(root_) / id / "data.npy").string();
}

std::string JobStore::CheckpointDir(const std::string& id,
                                    int64_t blocks) const {
  return (fs::path(root_) / id / absl::StrCat(kCheckpointPrefix, blocks))
      .string();
}

void JobStore::Remove(const std::string& id) const {
  std::error_code ec;
  fs::remove_all(JobDir(id), ec);
}

void JobStore::RemoveCheckpointsBefore(const std::string& id,
                                       int64_t blocks) const {
  std::error_code ec;
  std::vector<fs::path> old;
  for (fs::directory_iterator it(JobDir(id), ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    int64_t k = 0;
    if (absl::StartsWith(name, kCheckpointPrefix) &&
        absl::SimpleAtoi(name.substr(sizeof(kCheckpointPrefix) - 1), &k) &&
        k < blocks) {
      old.push_back(it->path());
    }
  }
  for (const fs::path& p : old) fs::remove_all(p, ec);
}

absl::StatusOr<std::string> JobStore::NewJobId() {
  std::error_code ec;
  for (fs::directory_iterator it(root_, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    int64_t sequence = 0;
    if (absl::StartsWith(name, kJobPrefix) &&
        absl::SimpleAtoi(name.substr(sizeof(kJobPrefix) - 1), &sequence)) {
      next_sequence_ = std::max(next_sequence_, sequence + 1);
    }
  }
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("--job_dir: cannot list ", root_, ": ", ec.message()));
  }
  std::string id = absl::StrFormat("%s%06d", kJobPrefix, next_sequence_++);
  fs::create_directories(JobDir(id), ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("--job_dir: cannot create ",
                                               JobDir(id), ": ", ec.message()));
  }
  return id;
}

absl::StatusOr<std::string> JobStore::SerializeRecord(const JobRecord& r) {
  json data = {{"source", SourceName(r.data.source)}, {"dim", r.data.dim}};
  switch (r.data.source) {
    case DataSpec::Source::kGenerator:
      data["generator"] = r.data.generator;
      data["n"] = r.data.n;
      data["seed"] = r.data.seed;
      break;
    case DataSpec::Source::kFile:
      data["file"] = r.data.file;
      if (!r.data.item_shape.empty()) data["item_shape"] = r.data.item_shape;
      break;
    case DataSpec::Source::kUpload:
      data["upload_job"] = r.data.upload_job;
      break;
  }
  json record = {
      {"format", kRecordFormat},
      {"kind", r.kind == JobKind::kCreate ? "create" : "train_block"},
      {"base_version", r.base_version},
      {"data", data},
      {"job", JobInfoToJson(r.job)},
      {"hyperparameters", SettingsToJson(r.settings)},
      {"restarts", r.restarts},
      {"paused", r.paused},
  };
  // Only jobs made on a server with tokens have owners.
  if (!r.owner.empty()) record["owner"] = r.owner;
  if (!r.model_owner.empty()) record["model_owner"] = r.model_owner;
  try {
    return record.dump(2) + "\n";
  } catch (const json::exception& e) {  // a string that is not UTF-8
    return absl::InternalError(absl::StrCat("job record: ", e.what()));
  }
}

absl::StatusOr<JobRecord> JobStore::ParseRecord(const std::string& text) {
  try {
    const json record = json::parse(text);
    const int format = JsonInteger<int>(record.at("format"));
    if (format < kOldestRecordFormat || format > kRecordFormat) {
      return absl::DataLossError("job record: unknown format");
    }
    JobRecord r;
    const std::string kind = record.at("kind").get<std::string>();
    if (kind != "create" && kind != "train_block") {
      return absl::DataLossError(
          absl::StrCat("job record: unknown kind ", kind));
    }
    r.kind = kind == "create" ? JobKind::kCreate : JobKind::kTrainBlock;
    r.base_version = JsonInteger<int64_t>(record.at("base_version"));
    // Absent in records written before the restart limit existed.
    r.restarts = record.contains("restarts")
                     ? JsonInteger<int64_t>(record.at("restarts"))
                     : 0;
    r.paused = record.value("paused", false);
    r.owner = record.value("owner", "");
    r.model_owner = record.value("model_owner", "");
    if (r.restarts < 0) {
      return absl::DataLossError("job record: negative restarts");
    }
    RETURN_IF_ERROR(DataSpecFromJson(record.at("data"), &r.data));
    RETURN_IF_ERROR(JobInfoFromJson(record.at("job"), &r.job));
    RETURN_IF_ERROR(
        SettingsFromJson(record.at("hyperparameters"), &r.settings));
    if (r.job.id.empty()) return absl::DataLossError("job record: no id");
    return r;
  } catch (const json::exception& e) {
    return absl::DataLossError(absl::StrCat("job record: ", e.what()));
  }
}

absl::Status JobStore::Save(const JobRecord& record) const {
  ASSIGN_OR_RETURN(std::string text, SerializeRecord(record));
  std::error_code ec;
  fs::create_directories(JobDir(record.job.id), ec);
  return WriteFileAtomically(
      (fs::path(JobDir(record.job.id)) / kRecordFile).string(), text);
}

std::vector<JobRecord> JobStore::LoadAll(
    std::vector<std::string>* errors) const {
  std::vector<JobRecord> records;
  std::error_code ec;
  std::vector<fs::path> dirs;
  for (fs::directory_iterator it(root_, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (absl::StartsWith(it->path().filename().string(), kJobPrefix)) {
      dirs.push_back(it->path());
    }
  }
  std::sort(dirs.begin(), dirs.end());
  for (const fs::path& dir : dirs) {
    const fs::path file = dir / kRecordFile;
    if (!fs::exists(file, ec)) continue;  // created, never saved
    absl::StatusOr<std::string> text = ReadFileToString(file.string());
    absl::StatusOr<JobRecord> record =
        text.ok() ? ParseRecord(*text)
                  : absl::StatusOr<JobRecord>(text.status());
    if (record.ok() && record->job.id != dir.filename().string()) {
      record = absl::DataLossError("job record: id does not match its dir");
    }
    if (!record.ok()) {
      if (errors != nullptr) {
        errors->push_back(
            absl::StrCat(file.string(), ": ", record.status().message()));
      }
      continue;
    }
    records.push_back(*std::move(record));
  }
  return records;
}

}  // namespace jkoflow

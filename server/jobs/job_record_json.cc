#include "server/jobs/job_record_json.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/json_integer.h"
#include "core/trainer_option_table.h"

namespace jkoflow {
namespace {

using nlohmann::json;

// States are stored as they always were ("JOB_STATE_RUNNING"), so scripts
// that read job.json keep working.
constexpr char kStatePrefix[] = "JOB_STATE_";

[[noreturn]] void WrongType(const json& j, const char* expected) {
  throw json::type_error::create(
      302, absl::StrCat("expected ", expected, ", got ", j.dump()), &j);
}

// Number() reads a JSON number, or a string holding one (format 1 wrote
// 64-bit integers and non-finite doubles as strings).
double Number(const json& j) {
  double value = 0;
  if (j.is_number()) return j.get<double>();
  if (j.is_string() && absl::SimpleAtod(j.get<std::string>(), &value)) {
    return value;
  }
  WrongType(j, "a number");
}

// Integer() and Unsigned() are JsonInteger() that also take format 1's
// decimal strings.
int64_t Integer(const json& j) {
  int64_t value = 0;
  if (!j.is_string()) return JsonInteger<int64_t>(j);
  if (absl::SimpleAtoi(j.get<std::string>(), &value)) return value;
  WrongType(j, "an integer");
}

uint64_t Unsigned(const json& j) {
  uint64_t value = 0;
  if (!j.is_string()) return JsonInteger<uint64_t>(j);
  if (absl::SimpleAtoi(j.get<std::string>(), &value)) return value;
  WrongType(j, "an unsigned integer");
}

// NumberJson() writes an integral value as a JSON integer, a non-finite
// one as "NaN", "Infinity" or "-Infinity" (JSON has no such numbers).
json NumberJson(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (value == std::floor(value) && std::fabs(value) < 9.0e15) {
    return static_cast<int64_t>(value);
  }
  return value;
}

// EnumName() drops format 1's enum prefix: "JOB_STATE_RUNNING" → "RUNNING".
std::string EnumName(const json& j, absl::string_view prefix) {
  return std::string(absl::StripPrefix(j.get<std::string>(), prefix));
}

bool IsWireScalar(const std::string& field) {
  for (const TrainerOptionSpec& spec : TrainerOptionTable()) {
    if (field == spec.proto_field && *spec.proto_field != '\0') return true;
  }
  return false;
}

// SettingFromJson() reads one field of a "hyperparameters" object; false
// for a field it does not know.
bool SettingFromJson(const std::string& key, const json& value,
                     TrainingSettings& s) {
  if (key == "batch_size") {
    s.batch_size = Integer(value);
  } else if (key == "probes") {
    s.probes = Integer(value);
  } else if (key == "seed") {
    s.seed = Unsigned(value);
  } else if (key == "adaptive_step") {
    s.adaptive_step = value.get<bool>();
  } else if (key == "validation_gate") {
    s.validation_gate = value.get<bool>();
  } else if (key == "stop_tolerance") {
    s.stop_tolerance = Number(value);
  } else if (key == "divergence") {
    s.divergence = absl::AsciiStrToLower(EnumName(value, "DIVERGENCE_METHOD_"));
    if (s.divergence == "unspecified") s.divergence.clear();
  } else if (key == "activation") {
    s.activation = value.get<std::string>();
  } else if (key == "lr_schedule") {
    s.lr_schedule = value.get<std::string>();
  } else if (key == "transform") {
    s.transform = value.get<std::string>();
  } else if (key == "method") {
    s.method = value.get<std::string>();
  } else if (IsWireScalar(key)) {
    s.scalars[key] = Number(value);
  } else {
    return false;
  }
  return true;
}

}  // namespace

json JobInfoToJson(const JobInfo& job) {
  return {{"id", job.id},
          {"state", absl::StrCat(kStatePrefix, JobStateName(job.state))},
          {"model_name", job.model_name},
          {"blocks_done", job.blocks_done},
          {"blocks_total", job.blocks_total},
          {"iteration", job.iteration},
          {"iterations", job.iterations},
          {"error", job.error},
          {"model_version", job.model_version},
          {"created_utc", job.created_utc},
          {"updated_utc", job.updated_utc},
          {"last_loss", NumberJson(job.last_loss)}};
}

absl::Status JobInfoFromJson(const json& object, JobInfo* job) {
  try {
    JobInfo j;
    j.id = object.value("id", "");
    const std::string state =
        EnumName(object.value("state", json("QUEUED")), kStatePrefix);
    const std::optional<JobState> parsed = ParseJobState(state);
    if (!parsed.has_value()) {
      return absl::DataLossError(
          absl::StrCat("job record: unknown job state ", state));
    }
    j.state = *parsed;
    j.model_name = object.value("model_name", "");
    j.blocks_done = Integer(object.value("blocks_done", json(0)));
    j.blocks_total = Integer(object.value("blocks_total", json(0)));
    j.iteration = Integer(object.value("iteration", json(0)));
    j.iterations = Integer(object.value("iterations", json(0)));
    j.error = object.value("error", "");
    j.model_version = Integer(object.value("model_version", json(0)));
    j.created_utc = object.value("created_utc", "");
    j.updated_utc = object.value("updated_utc", "");
    j.last_loss = Number(object.value("last_loss", json(0)));
    *job = std::move(j);
    return absl::OkStatus();
  } catch (const json::exception& e) {
    return absl::DataLossError(absl::StrCat("job record: ", e.what()));
  }
}

json SettingsToJson(const TrainingSettings& s) {
  json out = json::object();
  for (const auto& [field, value] : s.scalars) out[field] = NumberJson(value);
  if (s.batch_size.has_value()) out["batch_size"] = *s.batch_size;
  if (s.probes.has_value()) out["probes"] = *s.probes;
  if (s.seed.has_value()) out["seed"] = *s.seed;
  if (s.adaptive_step) out["adaptive_step"] = true;
  if (s.validation_gate.has_value())
    out["validation_gate"] = *s.validation_gate;
  if (s.stop_tolerance.has_value()) {
    out["stop_tolerance"] = NumberJson(*s.stop_tolerance);
  }
  const std::pair<const char*, const std::string*> strings[] = {
      {"divergence", &s.divergence},
      {"activation", &s.activation},
      {"lr_schedule", &s.lr_schedule},
      {"transform", &s.transform},
      {"method", &s.method}};
  for (const auto& [field, value] : strings) {
    if (!value->empty()) out[field] = *value;
  }
  return out;
}

absl::Status SettingsFromJson(const json& object, TrainingSettings* settings) {
  try {
    TrainingSettings s;
    for (const auto& [key, value] : object.items()) {
      if (!SettingFromJson(key, value, s)) {
        return absl::DataLossError(
            absl::StrCat("job record: unknown hyperparameter ", key));
      }
    }
    *settings = std::move(s);
    return absl::OkStatus();
  } catch (const json::exception& e) {
    return absl::DataLossError(
        absl::StrCat("job record: hyperparameters: ", e.what()));
  }
}

}  // namespace jkoflow

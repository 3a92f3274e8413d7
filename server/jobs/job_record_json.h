#ifndef JKOFLOW_SERVER_JOBS_JOB_RECORD_JSON_H_
#define JKOFLOW_SERVER_JOBS_JOB_RECORD_JSON_H_

// The JSON of a job record's "job" and "hyperparameters" objects. Field
// names are those of training.proto's Job and Hyperparameters, so a record
// reads like the wire; the readers also take the encoding records had
// before the job room had its own types (format 1: protobuf's JSON, with
// 64-bit integers as strings, "JOB_STATE_*" and "DIVERGENCE_METHOD_*"
// enum names, and default values left out).

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "server/jobs/job_types.h"

namespace jkoflow {

// JobInfoToJson() writes every field of `job`; the state as
// "JOB_STATE_<JobStateName()>", the spelling records have always had.
nlohmann::json JobInfoToJson(const JobInfo& job);

// JobInfoFromJson() reads JobInfoToJson()'s object (or format 1's); absent
// fields keep their defaults. DATA_LOSS for an unknown state or a value of
// the wrong type.
absl::Status JobInfoFromJson(const nlohmann::json& object, JobInfo* job);

// SettingsToJson() writes the fields of `settings` that are set.
nlohmann::json SettingsToJson(const TrainingSettings& settings);

// SettingsFromJson() reads SettingsToJson()'s object (or format 1's).
// DATA_LOSS for an unknown field or a value of the wrong type.
absl::Status SettingsFromJson(const nlohmann::json& object,
                              TrainingSettings* settings);

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_JOBS_JOB_RECORD_JSON_H_

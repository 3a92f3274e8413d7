#include "server/rpc/job_messages.h"

#include <google/protobuf/descriptor.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "core/trainer_option_table.h"

namespace jkoflow {
namespace {

constexpr std::pair<JobState, v1::JobState> kStates[] = {
    {JobState::kQueued, v1::JOB_STATE_QUEUED},
    {JobState::kRunning, v1::JOB_STATE_RUNNING},
    {JobState::kSucceeded, v1::JOB_STATE_SUCCEEDED},
    {JobState::kFailed, v1::JOB_STATE_FAILED},
    {JobState::kCancelled, v1::JOB_STATE_CANCELLED}};

// ScalarsFromProto() reads every Hyperparameters field that
// TrainerOptionTable() maps (proto_field) and `hp` has.
void ScalarsFromProto(const v1::Hyperparameters& hp, TrainingSettings& s) {
  const google::protobuf::Descriptor* descriptor = hp.GetDescriptor();
  const google::protobuf::Reflection* reflection = hp.GetReflection();
  for (const TrainerOptionSpec& spec : TrainerOptionTable()) {
    if (*spec.proto_field == '\0') continue;
    const google::protobuf::FieldDescriptor* field =
        descriptor->FindFieldByName(spec.proto_field);
    if (field == nullptr || !reflection->HasField(hp, field)) continue;
    s.scalars[spec.proto_field] =
        field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_INT64
            ? static_cast<double>(reflection->GetInt64(hp, field))
            : reflection->GetDouble(hp, field);
  }
}

absl::StatusOr<std::string> DivergenceFromProto(v1::DivergenceMethod method) {
  switch (method) {
    case v1::DIVERGENCE_METHOD_UNSPECIFIED:
      return std::string();
    case v1::DIVERGENCE_METHOD_EXACT:
      return std::string("exact");
    case v1::DIVERGENCE_METHOD_HUTCHINSON:
      return std::string("hutchinson");
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("hyperparameters.divergence: unknown method ",
                       static_cast<int>(method)));
  }
}

// DataFromProto() reads the data oneof of a CreateTrainingJobRequest or a
// TrainBlockRequest.
template <typename Request>
DataRequest DataFromProto(const Request& request) {
  DataRequest data;
  switch (request.data_case()) {
    case Request::kGenerator:
      data.kind = DataRequest::Kind::kGenerator;
      data.generator = {request.generator().name(), request.generator().n(),
                        request.generator().seed()};
      break;
    case Request::kDataFile:
      data.kind = DataRequest::Kind::kFile;
      data.file = request.data_file();
      break;
    default:
      break;
  }
  return data;
}

}  // namespace

absl::StatusOr<TrainingSettings> SettingsFromProto(
    const v1::Hyperparameters& hp) {
  TrainingSettings s;
  ScalarsFromProto(hp, s);
  if (hp.has_batch_size()) s.batch_size = hp.batch_size();
  s.adaptive_step = hp.adaptive_step();
  if (hp.has_stop_tolerance()) s.stop_tolerance = hp.stop_tolerance();
  s.activation = hp.activation();
  ASSIGN_OR_RETURN(s.divergence, DivergenceFromProto(hp.divergence()));
  if (hp.has_probes()) s.probes = hp.probes();
  if (hp.has_seed()) s.seed = hp.seed();
  s.lr_schedule = hp.lr_schedule();
  s.transform = hp.transform();
  if (hp.has_validation_gate()) s.validation_gate = hp.validation_gate();
  s.method = hp.method();
  return s;
}

absl::StatusOr<NewModelJob> NewModelJobFromProto(
    const v1::CreateTrainingJobRequest& request) {
  NewModelJob job;
  job.model_name = request.model_name();
  job.data = DataFromProto(request);
  ASSIGN_OR_RETURN(job.settings, SettingsFromProto(request.hyperparameters()));
  return job;
}

absl::StatusOr<BlockJob> BlockJobFromProto(
    const v1::TrainBlockRequest& request) {
  BlockJob job;
  job.model_name = request.model().name();
  job.version = request.model().version();
  job.data = DataFromProto(request);
  ASSIGN_OR_RETURN(job.settings, SettingsFromProto(request.hyperparameters()));
  return job;
}

v1::Job JobToProto(const JobInfo& job) {
  v1::Job out;
  out.set_id(job.id);
  for (const auto& [ours, wire] : kStates) {
    if (job.state == ours) out.set_state(wire);
  }
  out.set_model_name(job.model_name);
  out.set_blocks_done(job.blocks_done);
  out.set_blocks_total(job.blocks_total);
  out.set_iteration(job.iteration);
  out.set_iterations(job.iterations);
  out.set_error(job.error);
  out.set_model_version(job.model_version);
  out.set_created_utc(job.created_utc);
  out.set_updated_utc(job.updated_utc);
  out.set_last_loss(job.last_loss);
  return out;
}

v1::JobEvent JobEventToProto(const JobProgress& progress) {
  v1::JobEvent event;
  *event.mutable_job() = JobToProto(progress.job);
  event.set_block(progress.block);
  event.set_iteration(progress.iteration);
  event.set_loss(progress.loss);
  event.set_potential(progress.potential);
  event.set_neg_divergence(progress.neg_divergence);
  event.set_movement_term(progress.movement_term);
  event.set_h(progress.h);
  event.set_eta_seconds(progress.eta_seconds);
  return event;
}

}  // namespace jkoflow

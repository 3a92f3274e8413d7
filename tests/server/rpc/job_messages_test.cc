#include "server/rpc/job_messages.h"

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <string>

#include "server/jobs/job_record_json.h"

namespace jkoflow {
namespace {

using google::protobuf::FieldDescriptor;

// SetToSomething() gives `field` of `message` a value that is not its
// default.
void SetToSomething(google::protobuf::Message& message,
                    const FieldDescriptor* field) {
  const google::protobuf::Reflection* r = message.GetReflection();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT64:
      return r->SetInt64(&message, field, 3);
    case FieldDescriptor::CPPTYPE_UINT64:
      return r->SetUInt64(&message, field, 3);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return r->SetDouble(&message, field, 0.5);
    case FieldDescriptor::CPPTYPE_BOOL:
      return r->SetBool(&message, field, true);
    case FieldDescriptor::CPPTYPE_STRING:
      return r->SetString(&message, field, "x");
    case FieldDescriptor::CPPTYPE_ENUM:
      return r->SetEnumValue(&message, field, 1);
    default:
      FAIL() << field->name() << ": a field type this test does not set";
  }
}

// Every Hyperparameters field reaches the job room: a field added to the
// proto without a conversion fails here.
TEST(JobMessagesTest, EveryHyperparameterReachesTheSettings) {
  const std::string unset =
      SettingsToJson(*SettingsFromProto(v1::Hyperparameters())).dump();
  EXPECT_EQ(unset, "{}");
  const google::protobuf::Descriptor* d = v1::Hyperparameters::descriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    v1::Hyperparameters hp;
    SetToSomething(hp, d->field(i));
    absl::StatusOr<TrainingSettings> s = SettingsFromProto(hp);
    ASSERT_TRUE(s.ok()) << d->field(i)->name() << ": " << s.status();
    const nlohmann::json json = SettingsToJson(*s);
    EXPECT_EQ(json.size(), 1u) << d->field(i)->name() << ": " << json.dump();
    EXPECT_TRUE(json.contains(d->field(i)->name()))
        << d->field(i)->name() << ": " << json.dump();
  }
}

TEST(JobMessagesTest, SettingsKeepTheirValuesAndPresence) {
  v1::Hyperparameters hp;
  hp.set_blocks(4);
  hp.set_learning_rate(0.003);
  hp.set_stop_tolerance(0);  // set to zero is not unset
  hp.set_divergence(v1::DIVERGENCE_METHOD_HUTCHINSON);
  hp.set_probes(2);
  hp.set_seed(18446744073709551615ull);
  hp.set_validation_gate(false);
  hp.set_method("flow_matching");
  absl::StatusOr<TrainingSettings> s = SettingsFromProto(hp);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->scalars.at("blocks"), 4);
  EXPECT_EQ(s->scalars.at("learning_rate"), 0.003);
  EXPECT_EQ(s->scalars.count("iterations"), 0u);
  EXPECT_EQ(s->stop_tolerance, 0.0);
  EXPECT_FALSE(s->batch_size.has_value());
  EXPECT_EQ(s->divergence, "hutchinson");
  EXPECT_EQ(s->probes, 2);
  EXPECT_EQ(s->seed, 18446744073709551615ull);
  EXPECT_EQ(s->validation_gate, false);
  EXPECT_EQ(s->method, "flow_matching");
}

TEST(JobMessagesTest, UnknownDivergenceIsInvalidArgument) {
  v1::Hyperparameters hp;
  hp.set_divergence(static_cast<v1::DivergenceMethod>(77));
  const absl::Status s = SettingsFromProto(hp).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("hyperparameters.divergence"), std::string::npos)
      << s;
}

TEST(JobMessagesTest, RequestsCarryTheirDataAndTarget) {
  v1::CreateTrainingJobRequest create;
  create.set_model_name("m");
  create.mutable_generator()->set_name("moons");
  create.mutable_generator()->set_n(10);
  create.mutable_generator()->set_seed(4);
  absl::StatusOr<NewModelJob> job = NewModelJobFromProto(create);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->model_name, "m");
  EXPECT_EQ(job->data.kind, DataRequest::Kind::kGenerator);
  EXPECT_EQ(job->data.generator.name, "moons");
  EXPECT_EQ(job->data.generator.n, 10);
  EXPECT_EQ(job->data.generator.seed, 4u);

  v1::TrainBlockRequest block;
  block.mutable_model()->set_name("m");
  block.mutable_model()->set_version(2);
  absl::StatusOr<BlockJob> more = BlockJobFromProto(block);
  ASSERT_TRUE(more.ok()) << more.status();
  EXPECT_EQ(more->version, 2);
  EXPECT_EQ(more->data.kind, DataRequest::Kind::kNone);
  block.set_data_file("d.csv");
  EXPECT_EQ(BlockJobFromProto(block)->data.kind, DataRequest::Kind::kFile);
  EXPECT_EQ(BlockJobFromProto(block)->data.file, "d.csv");
}

// Every field of v1.Job and v1.JobEvent is written: a field added to the
// proto without a conversion fails here.
TEST(JobMessagesTest, EveryJobAndEventFieldIsWritten) {
  JobProgress p;
  p.job = {"job-000001",
           JobState::kRunning,
           "m",
           1,
           2,
           3,
           4,
           "e",
           5,
           "2026-12-07T00:00:00.000Z",
           "2026-12-07T00:00:01.000Z",
           -1.5};
  p.block = 2;
  p.iteration = 3;
  p.loss = 0.5;
  p.potential = 0.25;
  p.neg_divergence = -0.125;
  p.movement_term = 0.0625;
  p.h = 0.3;
  p.eta_seconds = 9;
  const v1::JobEvent event = JobEventToProto(p);
  for (const google::protobuf::Message* m :
       {static_cast<const google::protobuf::Message*>(&event),
        static_cast<const google::protobuf::Message*>(&event.job())}) {
    const google::protobuf::Descriptor* d = m->GetDescriptor();
    for (int i = 0; i < d->field_count(); ++i) {
      EXPECT_TRUE(m->GetReflection()->HasField(*m, d->field(i)))
          << d->full_name() << "." << d->field(i)->name();
    }
  }
  EXPECT_EQ(event.job().state(), v1::JOB_STATE_RUNNING);
  EXPECT_EQ(event.job().last_loss(), -1.5);
  EXPECT_EQ(event.eta_seconds(), 9);
}

TEST(JobMessagesTest, StatesMapOneToOne) {
  const std::pair<JobState, v1::JobState> states[] = {
      {JobState::kQueued, v1::JOB_STATE_QUEUED},
      {JobState::kRunning, v1::JOB_STATE_RUNNING},
      {JobState::kSucceeded, v1::JOB_STATE_SUCCEEDED},
      {JobState::kFailed, v1::JOB_STATE_FAILED},
      {JobState::kCancelled, v1::JOB_STATE_CANCELLED}};
  for (const auto& [ours, wire] : states) {
    JobInfo job;
    job.state = ours;
    EXPECT_EQ(JobToProto(job).state(), wire) << JobStateName(ours);
  }
}

}  // namespace
}  // namespace jkoflow

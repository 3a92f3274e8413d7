#include "client/client.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "client/points_codec.h"
#include "client/status_map.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace jkoflow {
namespace {

constexpr int64_t kMaxUploadChunkRows = 65536;

// Puts `data` into the `data` oneof of a CreateTrainingJobRequest or a
// TrainBlockRequest. An empty `data` is accepted only if `allow_empty`.
template <typename Request>
absl::Status SetTrainingData(const TrainingData& data, bool allow_empty,
                             Request* request) {
  const bool has_generator = !data.generator.empty();
  const bool has_file = !data.data_file.empty();
  if (has_generator && has_file) {
    return absl::InvalidArgumentError(
        "training data: give a generator or a data file, not both");
  }
  if (!has_generator && !has_file && !allow_empty) {
    return absl::InvalidArgumentError(
        "training data: a generator or a data file is required");
  }
  if (has_generator) {
    v1::GeneratorSpec* spec = request->mutable_generator();
    spec->set_name(data.generator);
    spec->set_n(data.n);
    spec->set_seed(data.seed);
  } else if (has_file) {
    request->set_data_file(data.data_file);
  }
  return absl::OkStatus();
}

// Bounds `context` by `timeout` from now; an infinite timeout sets none.
void SetDeadline(absl::Duration timeout, grpc::ClientContext* context) {
  if (timeout == absl::InfiniteDuration()) return;
  context->set_deadline(std::chrono::system_clock::now() +
                        absl::ToChronoNanoseconds(timeout));
}

// Makes one unary call, `stub.*method(request)`, under `timeout` and maps its
// status.
template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> CallUnary(
    Stub& stub,
    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                 Response*),
    const Request& request, absl::Duration timeout) {
  grpc::ClientContext context;
  SetDeadline(timeout, &context);
  Response response;
  RETURN_IF_ERROR(FromGrpcStatus((stub.*method)(&context, request, &response)));
  return response;
}

// Fills a ModelRef.
void SetModel(const std::string& name, int64_t version, v1::ModelRef* ref) {
  ref->set_name(name);
  ref->set_version(version);
}

// Copies rows [begin, begin + count) of `m`.
PointMatrix SliceRows(const PointMatrix& m, int64_t begin, int64_t count) {
  PointMatrix slice;
  slice.rows = count;
  slice.cols = m.cols;
  slice.values.assign(m.values.begin() + begin * m.cols,
                      m.values.begin() + (begin + count) * m.cols);
  return slice;
}

}  // namespace

bool IsTerminal(v1::JobState state) {
  return state == v1::JOB_STATE_SUCCEEDED || state == v1::JOB_STATE_FAILED ||
         state == v1::JOB_STATE_CANCELLED;
}

absl::StatusOr<std::unique_ptr<Client>> Client::Create(ClientOptions options) {
  if (options.server.empty()) {
    return absl::InvalidArgumentError("server: address must not be empty");
  }
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "timeout: must be > 0, got ", absl::FormatDuration(options.timeout)));
  }
  if (options.watch_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("watch_timeout: must be > 0, got ",
                     absl::FormatDuration(options.watch_timeout)));
  }
  if (options.max_message_bytes < (1 << 20) ||
      options.max_message_bytes > std::numeric_limits<int>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_message_bytes: must be in [1 MiB, 2 GiB), got ",
                     options.max_message_bytes));
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  args.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
  if (!options.load_balancing_policy.empty()) {
    args.SetLoadBalancingPolicyName(options.load_balancing_policy);
  }
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> credentials,
                   ChannelCredentialsFor(options.security));
  std::shared_ptr<grpc::Channel> channel =
      grpc::experimental::CreateCustomChannelWithInterceptors(
          options.server, credentials, args,
          TokenInterceptors(options.security.token));
  if (channel == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "server: cannot open a channel to '", options.server, "'"));
  }
  return std::unique_ptr<Client>(
      new Client(std::move(options), std::move(channel)));
}

Client::Client(ClientOptions options, std::shared_ptr<grpc::Channel> channel)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      flow_(v1::FlowService::NewStub(channel_)),
      training_(v1::TrainingService::NewStub(channel_)) {}

int64_t Client::RowsPerMessage(int64_t cols) const {
  const int64_t row_bytes =
      std::max<int64_t>(1, cols) * static_cast<int64_t>(sizeof(float));
  return std::max<int64_t>(1, options_.max_message_bytes / 2 / row_bytes);
}

absl::StatusOr<std::string> Client::Health(const std::string& service) {
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::Health::Stub stub(channel_);
  ASSIGN_OR_RETURN(grpc::health::v1::HealthCheckResponse response,
                   CallUnary(stub, &grpc::health::v1::Health::Stub::Check,
                             request, options_.timeout));
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
      response.status());
}

absl::StatusOr<std::vector<v1::ModelInfo>> Client::ListModels() {
  ASSIGN_OR_RETURN(v1::ListModelsResponse response,
                   CallUnary(*flow_, &v1::FlowService::Stub::ListModels,
                             v1::ListModelsRequest(), options_.timeout));
  return std::vector<v1::ModelInfo>(response.models().begin(),
                                    response.models().end());
}

absl::StatusOr<v1::ModelInfo> Client::GetModel(const std::string& name,
                                               int64_t version) {
  v1::GetModelRequest request;
  SetModel(name, version, request.mutable_model());
  return CallUnary(*flow_, &v1::FlowService::Stub::GetModel, request,
                   options_.timeout);
}

absl::StatusOr<v1::ExportModelResponse> Client::ExportModel(
    const std::string& name, int64_t version) {
  v1::ExportModelRequest request;
  SetModel(name, version, request.mutable_model());
  return CallUnary(*flow_, &v1::FlowService::Stub::ExportModel, request,
                   options_.timeout);
}

absl::StatusOr<SampleResult> Client::Sample(const std::string& name,
                                            int64_t version, int64_t n,
                                            uint64_t seed, int64_t chunk_points,
                                            bool trajectory) {
  grpc::ClientContext context;
  SetDeadline(options_.timeout, &context);
  v1::SampleRequest request;
  SetModel(name, version, request.mutable_model());
  request.set_n(n);
  request.set_seed(seed);
  request.set_chunk_points(chunk_points);
  request.set_trajectory(trajectory);
  std::unique_ptr<grpc::ClientReader<v1::SampleChunk>> reader =
      flow_->Sample(&context, request);
  SampleAssembler assembler(n, trajectory);
  v1::SampleChunk chunk;
  absl::Status assembled = absl::OkStatus();
  while (reader->Read(&chunk)) {
    assembled = assembler.Add(chunk);
    if (!assembled.ok()) {
      context.TryCancel();
      break;
    }
  }
  const grpc::Status status = reader->Finish();
  RETURN_IF_ERROR(assembled);
  RETURN_IF_ERROR(FromGrpcStatus(status));
  return assembler.Finish();
}

absl::StatusOr<v1::LogLikelihoodResponse> Client::LogLikelihoodOnce(
    const std::string& name, int64_t version, const PointMatrix& points,
    const LogLikelihoodOptions& options) {
  v1::LogLikelihoodRequest request;
  SetModel(name, version, request.mutable_model());
  RETURN_IF_ERROR(EncodePoints(points, request.mutable_points()));
  request.set_method(options.method);
  request.set_probes(options.probes);
  request.set_seed(options.seed);
  ASSIGN_OR_RETURN(v1::LogLikelihoodResponse response,
                   CallUnary(*flow_, &v1::FlowService::Stub::LogLikelihood,
                             request, options_.timeout));
  if (response.log_prob_size() != points.rows) {
    return absl::DataLossError(
        absl::StrCat("log-likelihood: sent ", points.rows, " points, got ",
                     response.log_prob_size(), " values"));
  }
  return response;
}

absl::StatusOr<LogLikelihoodResult> Client::LogLikelihood(
    const std::string& name, int64_t version, const PointMatrix& points,
    const LogLikelihoodOptions& options) {
  RETURN_IF_ERROR(CheckShape(points));
  if (points.rows < 1 || points.cols < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "points: need at least 1 x 1, got ", points.rows, " x ", points.cols));
  }
  const int64_t batch = RowsPerMessage(points.cols);
  LogLikelihoodResult result;
  result.log_prob.reserve(points.rows);
  bool integer = false;
  for (int64_t begin = 0; begin < points.rows; begin += batch) {
    const int64_t count = std::min(batch, points.rows - begin);
    absl::StatusOr<v1::LogLikelihoodResponse> response =
        count == points.rows
            ? LogLikelihoodOnce(name, version, points, options)
            : LogLikelihoodOnce(name, version, SliceRows(points, begin, count),
                                options);
    if (!response.ok()) return response.status();
    result.log_prob.insert(result.log_prob.end(), response->log_prob().begin(),
                           response->log_prob().end());
    result.log_prob_std_error.insert(result.log_prob_std_error.end(),
                                     response->log_prob_std_error().begin(),
                                     response->log_prob_std_error().end());
    result.dim = response->dim();
    result.model_version = response->model_version();
    integer = response->has_bits_per_dim();
  }
  double sum = 0;
  for (double v : result.log_prob) sum += v;
  result.mean_log_prob = sum / static_cast<double>(result.log_prob.size());
  const double bits_per_nat =
      result.dim > 0 ? 1.0 / (result.dim * std::log(2.0)) : 0.0;
  if (integer && result.dim > 0) {
    result.bits_per_dim = -result.mean_log_prob * bits_per_nat;
  }
  if (!result.log_prob_std_error.empty()) {
    if (result.log_prob_std_error.size() != result.log_prob.size()) {
      return absl::DataLossError(
          absl::StrCat("log_prob_std_error: ", result.log_prob_std_error.size(),
                       " values for ", result.log_prob.size(), " points"));
    }
    double squares = 0;
    for (double se : result.log_prob_std_error) squares += se * se;
    result.mean_log_prob_std_error =
        std::sqrt(squares) / static_cast<double>(result.log_prob.size());
    if (result.bits_per_dim.has_value()) {
      result.bits_per_dim_std_error =
          *result.mean_log_prob_std_error * bits_per_nat;
    }
  }
  return result;
}

absl::StatusOr<std::vector<v1::ModelInfo>> Client::LoadModel(
    const std::string& name, int64_t version) {
  v1::LoadModelRequest request;
  SetModel(name, version, request.mutable_model());
  ASSIGN_OR_RETURN(v1::LoadModelResponse response,
                   CallUnary(*flow_, &v1::FlowService::Stub::LoadModel, request,
                             options_.timeout));
  return std::vector<v1::ModelInfo>(response.models().begin(),
                                    response.models().end());
}

absl::Status Client::UnloadModel(const std::string& name, int64_t version) {
  v1::UnloadModelRequest request;
  SetModel(name, version, request.mutable_model());
  return CallUnary(*flow_, &v1::FlowService::Stub::UnloadModel, request,
                   options_.timeout)
      .status();
}

absl::StatusOr<v1::Job> Client::CreateTrainingJob(
    const std::string& model_name, const TrainingData& data,
    const v1::Hyperparameters& hyperparameters) {
  v1::CreateTrainingJobRequest request;
  request.set_model_name(model_name);
  RETURN_IF_ERROR(SetTrainingData(data, /*allow_empty=*/false, &request));
  *request.mutable_hyperparameters() = hyperparameters;
  return CallUnary(*training_, &v1::TrainingService::Stub::CreateTrainingJob,
                   request, options_.timeout);
}

absl::StatusOr<v1::Job> Client::UploadTrainingJob(
    const std::string& model_name, const PointMatrix& points,
    const v1::Hyperparameters& hyperparameters, int64_t chunk_rows) {
  RETURN_IF_ERROR(CheckShape(points));
  if (points.rows < 1 || points.cols < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "points: need at least 1 x 1, got ", points.rows, " x ", points.cols));
  }
  if (chunk_rows < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunk_rows: must be ≥ 0, got ", chunk_rows));
  }
  if (chunk_rows == 0) {
    chunk_rows = std::min(kMaxUploadChunkRows, RowsPerMessage(points.cols));
  }
  grpc::ClientContext context;
  SetDeadline(options_.timeout, &context);
  v1::Job job;
  std::unique_ptr<grpc::ClientWriter<v1::UploadChunk>> writer =
      training_->UploadTrainingJob(&context, &job);
  v1::UploadChunk first;
  first.mutable_job()->set_model_name(model_name);
  *first.mutable_job()->mutable_hyperparameters() = hyperparameters;
  bool open = writer->Write(first);
  for (int64_t begin = 0; open && begin < points.rows; begin += chunk_rows) {
    const int64_t count = std::min(chunk_rows, points.rows - begin);
    v1::UploadChunk chunk;
    RETURN_IF_ERROR(
        EncodePoints(SliceRows(points, begin, count), chunk.mutable_points()));
    open = writer->Write(chunk);
  }
  if (open) writer->WritesDone();
  // A broken stream (open == false) carries the server's reason in Finish().
  RETURN_IF_ERROR(FromGrpcStatus(writer->Finish()));
  return job;
}

absl::StatusOr<v1::Job> Client::TrainBlock(
    const std::string& name, int64_t version, const TrainingData& data,
    const v1::Hyperparameters& hyperparameters) {
  v1::TrainBlockRequest request;
  SetModel(name, version, request.mutable_model());
  RETURN_IF_ERROR(SetTrainingData(data, /*allow_empty=*/true, &request));
  *request.mutable_hyperparameters() = hyperparameters;
  return CallUnary(*training_, &v1::TrainingService::Stub::TrainBlock, request,
                   options_.timeout);
}

absl::StatusOr<v1::Job> Client::GetJob(const std::string& id) {
  v1::GetJobRequest request;
  request.set_id(id);
  return CallUnary(*training_, &v1::TrainingService::Stub::GetJob, request,
                   options_.timeout);
}

absl::StatusOr<std::vector<v1::Job>> Client::ListJobs() {
  ASSIGN_OR_RETURN(v1::ListJobsResponse response,
                   CallUnary(*training_, &v1::TrainingService::Stub::ListJobs,
                             v1::ListJobsRequest(), options_.timeout));
  return std::vector<v1::Job>(response.jobs().begin(), response.jobs().end());
}

absl::StatusOr<v1::Job> Client::CancelJob(const std::string& id) {
  v1::CancelJobRequest request;
  request.set_id(id);
  return CallUnary(*training_, &v1::TrainingService::Stub::CancelJob, request,
                   options_.timeout);
}

absl::StatusOr<v1::Job> Client::WatchJob(
    const std::string& id,
    const std::function<void(const v1::JobEvent&)>& on_event) {
  grpc::ClientContext context;
  SetDeadline(options_.watch_timeout, &context);
  v1::WatchJobRequest request;
  request.set_id(id);
  std::unique_ptr<grpc::ClientReader<v1::JobEvent>> reader =
      training_->WatchJob(&context, request);
  v1::JobEvent event;
  v1::Job last;
  bool seen = false;
  while (reader->Read(&event)) {
    if (on_event) on_event(event);
    last = event.job();
    seen = true;
    if (IsTerminal(last.state())) {
      context.TryCancel();  // the stream should end here; don't wait for it
      break;
    }
  }
  const grpc::Status status = reader->Finish();
  if (seen && IsTerminal(last.state())) return last;
  RETURN_IF_ERROR(FromGrpcStatus(status));
  // The stream ended without a terminal event: ask for the job itself.
  return GetJob(id);
}

}  // namespace jkoflow

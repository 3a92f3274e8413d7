#ifndef JKOFLOW_CLIENT_CLIENT_H_
#define JKOFLOW_CLIENT_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/credentials.h"
#include "client/point_matrix.h"
#include "client/sample_assembler.h"
#include "jkoflow/v1/flow.grpc.pb.h"
#include "jkoflow/v1/training.grpc.pb.h"

namespace jkoflow {

// ClientOptions configure a Client.
struct ClientOptions {
  // Server address, "host:port" (any gRPC target such as "dns:///svc:50051").
  std::string server = "127.0.0.1:50051";
  // Deadline of each call, measured from its start. Must be > 0.
  absl::Duration timeout = absl::Seconds(30);
  // Deadline of WatchJob(), which lasts as long as the job; infinite by
  // default.
  absl::Duration watch_timeout = absl::InfiniteDuration();
  // Largest message sent or received, in bytes; should match the server's
  // --max_message_bytes. Also bounds the points per LogLikelihood request
  // and per upload chunk. Must be ≥ 1 MiB.
  int64_t max_message_bytes = 64 << 20;
  // gRPC load-balancing policy; empty → gRPC's default (pick_first). Use
  // "round_robin" with a "dns:///" target naming a headless Kubernetes
  // service to spread calls over every replica.
  std::string load_balancing_policy;
  // TLS files and the bearer token (credentials.h); default plaintext.
  ClientSecurity security;
};

// LogLikelihoodOptions choose how LogLikelihood() estimates the divergence.
struct LogLikelihoodOptions {
  // Exact divergence (the default) or the Hutchinson estimator.
  v1::DivergenceMethod method = v1::DIVERGENCE_METHOD_EXACT;
  // Hutchinson probes per point, [1, 1024]; 0 → the server's default (1).
  int64_t probes = 0;
  // Seed of the Hutchinson probes.
  uint64_t seed = 0;
};

// LogLikelihoodResult holds log p(x) of each point in nats.
struct LogLikelihoodResult {
  std::vector<double> log_prob;  // one per input point, in order
  double mean_log_prob = 0;      // nats per point
  int64_t dim = 0;
  int64_t model_version = 0;  // the version that answered
  // For a model of integer data: bits per dimension on the data's own
  // scale (−mean_log_prob / (dim · ln 2), the dequantised bound).
  std::optional<double> bits_per_dim;
  // A Hutchinson estimate of at least two probes: each log_prob's standard
  // error (empty otherwise), and those of the mean and of bits_per_dim.
  std::vector<double> log_prob_std_error;
  std::optional<double> mean_log_prob_std_error;
  std::optional<double> bits_per_dim_std_error;
};

// TrainingData names data the server reads itself: exactly one of a built-in
// generator or a file under the server's --data_dir. For TrainBlock() both
// may be empty, meaning the model's recorded generator.
struct TrainingData {
  // "8gaussians", "checkerboard", ..., or "gmm:<dim>:<components>:<seed>".
  std::string generator;
  int64_t n = 0;      // generator points; 0 → the server's default
  uint64_t seed = 0;  // generator seed
  // CSV or .npy file relative to the server's --data_dir.
  std::string data_file;
};

// Client calls a jkoflow server's FlowService and TrainingService.
//
// Every method returns the server's error mapped by FromGrpcStatus(), so the
// message starts with the gRPC code name ("UNAVAILABLE: ..."); a malformed
// answer from the server is DataLoss. A version of 0 means the newest loaded
// version. Thread-safe: one Client may serve concurrent calls, each under its
// own deadline. The Client owns its channel.
class Client {
 public:
  // Create() validates `options` (InvalidArgument naming the bad field) and
  // opens a lazy channel: no connection is made until the first call, so an
  // unreachable server shows up as UNAVAILABLE from that call.
  static absl::StatusOr<std::unique_ptr<Client>> Create(ClientOptions options);

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // options() returns the options the client was created with.
  const ClientOptions& options() const { return options_; }

  // Health() asks the server's grpc.health.v1 service about `service`
  // (empty: the server as a whole) and returns the status name: "SERVING",
  // "NOT_SERVING", "UNKNOWN" or "SERVICE_UNKNOWN". Needs no token.
  absl::StatusOr<std::string> Health(const std::string& service = "");

  // ListModels() returns every model version the server knows, sorted by
  // name then version.
  absl::StatusOr<std::vector<v1::ModelInfo>> ListModels();

  // GetModel() returns the metadata of one model version; NotFound for an
  // unknown name or version.
  absl::StatusOr<v1::ModelInfo> GetModel(const std::string& name,
                                         int64_t version = 0);

  // Sample() draws `n` points from the model, seeded by `seed` (the same seed
  // gives the same points; bit for bit unless the server batched the call
  // with concurrent ones, see SampleRequest.seed), streamed in chunks of
  // `chunk_points` (0 → the server's default) and assembled by offset. With
  // `trajectory` the result also holds the K + 1 sampling stages. Returns
  // DataLoss if the stream does not carry exactly n points.
  absl::StatusOr<SampleResult> Sample(const std::string& name, int64_t version,
                                      int64_t n, uint64_t seed,
                                      int64_t chunk_points = 0,
                                      bool trajectory = false);

  // LogLikelihood() returns log p(x) of each row of `points` (nats). Inputs
  // larger than one message are sent as several requests, whose means are
  // combined; each request uses `options.seed`. Returns InvalidArgument for
  // a malformed or empty matrix, DataLoss for a wrong number of answers.
  absl::StatusOr<LogLikelihoodResult> LogLikelihood(
      const std::string& name, int64_t version, const PointMatrix& points,
      const LogLikelihoodOptions& options = {});

  // ExportModel() returns the model version (0: the newest loaded) as the
  // bytes of a self-contained TorchScript archive (docs/export.md);
  // FailedPrecondition when it is not loaded.
  absl::StatusOr<v1::ExportModelResponse> ExportModel(const std::string& name,
                                                      int64_t version = 0);

  // LoadModel() loads a model version (0 → every version on disk) and
  // returns the loaded versions.
  absl::StatusOr<std::vector<v1::ModelInfo>> LoadModel(const std::string& name,
                                                       int64_t version = 0);

  // UnloadModel() frees a model version (0 → every version) on the server.
  absl::Status UnloadModel(const std::string& name, int64_t version = 0);

  // CreateTrainingJob() starts training a new model `model_name` on `data`
  // (a generator or a server file; InvalidArgument unless exactly one is
  // given). Unset hyperparameter fields take the server's defaults.
  absl::StatusOr<v1::Job> CreateTrainingJob(
      const std::string& model_name, const TrainingData& data,
      const v1::Hyperparameters& hyperparameters);

  // UploadTrainingJob() streams `points` from the client to train a new model
  // `model_name`, in chunks that fit the message limit (`chunk_rows` rows
  // each; 0 → as many as fit in half a message, at most 65,536).
  absl::StatusOr<v1::Job> UploadTrainingJob(
      const std::string& model_name, const PointMatrix& points,
      const v1::Hyperparameters& hyperparameters, int64_t chunk_rows = 0);

  // TrainBlock() appends one JKO block to model `name` (version 0 → newest),
  // written as a new version. `data` may be empty (the model's generator);
  // InvalidArgument if both a generator and a file are given.
  absl::StatusOr<v1::Job> TrainBlock(
      const std::string& name, int64_t version, const TrainingData& data,
      const v1::Hyperparameters& hyperparameters);

  // GetJob() returns a training job; NotFound for an unknown id.
  absl::StatusOr<v1::Job> GetJob(const std::string& id);

  // ListJobs() returns every training job the server knows.
  absl::StatusOr<std::vector<v1::Job>> ListJobs();

  // CancelJob() asks the server to stop a job and returns it; a terminal job
  // is returned unchanged.
  absl::StatusOr<v1::Job> CancelJob(const std::string& id);

  // WatchJob() streams the progress of job `id`, calling `on_event` (on the
  // calling thread) for each event, until the job reaches a terminal state;
  // returns the final Job. A job that is already terminal returns at once.
  // The call is bounded by options().watch_timeout, not options().timeout.
  absl::StatusOr<v1::Job> WatchJob(
      const std::string& id,
      const std::function<void(const v1::JobEvent&)>& on_event);

 private:
  Client(ClientOptions options, std::shared_ptr<grpc::Channel> channel);

  // Sends one LogLikelihood request for `points`.
  absl::StatusOr<v1::LogLikelihoodResponse> LogLikelihoodOnce(
      const std::string& name, int64_t version, const PointMatrix& points,
      const LogLikelihoodOptions& options);

  // The largest number of rows of `cols` float32 values that fits in half a
  // message (leaving room for the rest of it), at least 1.
  int64_t RowsPerMessage(int64_t cols) const;

  const ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::FlowService::Stub> flow_;
  std::unique_ptr<v1::TrainingService::Stub> training_;
};

// IsTerminal() says whether a job in `state` can no longer change.
bool IsTerminal(v1::JobState state);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_CLIENT_H_

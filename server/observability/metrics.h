#ifndef JKOFLOW_SERVER_OBSERVABILITY_METRICS_H_
#define JKOFLOW_SERVER_OBSERVABILITY_METRICS_H_

#include <grpcpp/support/status.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace prometheus {
class Collectable;
class Counter;
class Exposer;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace jkoflow {

// Metrics owns the Prometheus registry and every metric family of the
// server. The names are a contract with dashboards and tests:
//   jkoflow_requests_total{method,code}       counter
//   jkoflow_request_duration_seconds{method}  histogram
//   jkoflow_queue_depth                       gauge
//   jkoflow_batch_points                      histogram (points per batch)
//   jkoflow_batch_items                       histogram (items per batch)
//   jkoflow_samples_total{model}              counter
//   jkoflow_loglik_points_total{model}        counter
//   jkoflow_models_loaded                     gauge
//   jkoflow_model_load_seconds                histogram
//   jkoflow_jobs{state}                       gauge
//   jkoflow_training_iterations_total         counter
//   jkoflow_block_loss{model,block,term}      gauge
//   jkoflow_inversion_error{model}            gauge
//   jkoflow_block_diagnostic{model,version,block,quantity}  gauge
// `model` labels carry the model name (not the version). Thread-safe; every
// method is cheap enough for a request path.
class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // RecordRequest() counts one finished RPC and observes its latency.
  void RecordRequest(absl::string_view method, grpc::StatusCode code,
                     double seconds);
  void SetQueueDepth(int64_t depth);
  // ObserveBatch() records one executed inference batch of `items` work
  // items (one per request, or per part of a large one) and `points` rows.
  void ObserveBatch(int64_t items, int64_t points);
  void AddSamples(const std::string& model, int64_t points);
  void AddLogLikPoints(const std::string& model, int64_t points);
  void SetModelsLoaded(int64_t count);
  void ObserveModelLoadSeconds(double seconds);
  void SetInversionError(const std::string& model, double value);
  // SetJobs() sets the gauge of jobs in `state` ("QUEUED", "RUNNING", …).
  void SetJobs(const std::string& state, int64_t count);
  void AddTrainingIterations(int64_t iterations);
  // SetBlockLoss() records a term ("loss", "potential", "neg_divergence",
  // "movement_term") of block `block` (1-based) of `model`.
  void SetBlockLoss(const std::string& model, int64_t block,
                    const std::string& term, double value);
  // SetBlockDiagnostic() records a diagnostic `quantity` (a
  // BlockDiagnostics field name, or a trajectory one: "step_sum",
  // "kl_plus_entropy", "lipschitz_product") of block `block` (1-based) of
  // `model` version `version`.
  void SetBlockDiagnostic(const std::string& model, int64_t version,
                          int64_t block, const std::string& quantity,
                          double value);

 private:
  // The families, registered by the constructor in two groups: requests
  // and inference batches; models and training.
  void RegisterServingFamilies();
  void RegisterModelFamilies();

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* request_duration_;
  prometheus::Gauge* queue_depth_;
  prometheus::Histogram* batch_points_;
  prometheus::Histogram* batch_items_;
  prometheus::Family<prometheus::Counter>* samples_;
  prometheus::Family<prometheus::Counter>* loglik_points_;
  prometheus::Gauge* models_loaded_;
  prometheus::Histogram* model_load_seconds_;
  prometheus::Family<prometheus::Gauge>* jobs_;
  prometheus::Counter* training_iterations_;
  prometheus::Family<prometheus::Gauge>* block_loss_;
  prometheus::Family<prometheus::Gauge>* inversion_error_;
  prometheus::Family<prometheus::Gauge>* block_diagnostic_;
};

// RequestTimer measures one RPC from construction to Finish(), which
// records it in `metrics` (if not null) under `method`. Finish() at most
// once; not thread-safe.
class RequestTimer {
 public:
  RequestTimer(Metrics* metrics, absl::string_view method)
      : metrics_(metrics), method_(method), start_(absl::Now()) {}
  void Finish(grpc::StatusCode code) {
    if (metrics_ == nullptr) return;
    metrics_->RecordRequest(method_, code,
                            absl::ToDoubleSeconds(absl::Now() - start_));
    metrics_ = nullptr;
  }

 private:
  Metrics* metrics_;
  std::string method_;
  absl::Time start_;
};

// MetricsExposer serves `metrics` over HTTP at http://<address>/metrics.
class MetricsExposer {
 public:
  // Create() binds `address` ("host:port"; port 0 picks a free port) and
  // serves `metrics` and the process_* metrics of ProcessMetrics.
  // Returns UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsExposer>> Create(
      const std::string& address, const Metrics& metrics);
  ~MetricsExposer();

  // port() is the bound port.
  int port() const { return port_; }

 private:
  MetricsExposer(std::shared_ptr<prometheus::Collectable> process,
                 std::unique_ptr<prometheus::Exposer> exposer, int port);
  // The process_* metrics (process_metrics.h); outlives the exposer.
  std::shared_ptr<prometheus::Collectable> process_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_;
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_OBSERVABILITY_METRICS_H_

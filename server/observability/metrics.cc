#include "server/observability/metrics.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <exception>
#include <iterator>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/host_port.h"
#include "base/status_macros.h"
#include "server/observability/process_metrics.h"

// prometheus::Exposer runs civetweb, which asks for 100 KiB thread stacks.
// That is less than the static TLS of LibTorch's libraries, so in any
// process that links LibTorch pthread_create() fails and the Exposer throws
// ("Cannot create first worker thread"). This definition interposes the
// libc function for the whole process: requests below 1 MiB become 1 MiB,
// larger ones pass unchanged.
extern "C" int pthread_attr_setstacksize(pthread_attr_t* attr,
                                         size_t stack_size) {
  using Fn = int (*)(pthread_attr_t*, size_t);
  static const Fn libc_setstacksize =
      reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "pthread_attr_setstacksize"));
  constexpr size_t kMinStack = size_t{1} << 20;
  return libc_setstacksize(attr,
                           stack_size < kMinStack ? kMinStack : stack_size);
}

namespace jkoflow {
namespace {

// CodeName() is the canonical upper-case name of a gRPC status code (gRPC and
// Abseil number their codes alike); codes outside the range read UNKNOWN.
std::string CodeName(grpc::StatusCode code) {
  const std::string name =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  return name.empty() ? "UNKNOWN" : name;
}

// ExponentialBuckets() returns `count` boundaries start, start·factor, ….
prometheus::Histogram::BucketBoundaries ExponentialBuckets(double start,
                                                           double factor,
                                                           int count) {
  prometheus::Histogram::BucketBoundaries buckets;
  for (int i = 0; i < count; ++i, start *= factor) buckets.push_back(start);
  return buckets;
}

// FreePort() asks the kernel for a free TCP port on `host` (an IPv4
// address); 0 when it cannot.
int FreePort(const std::string& host) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(),
                &addr.sin_addr) != 1) {
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
  }
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  socklen_t length = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

}  // namespace

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  RegisterServingFamilies();
  RegisterModelFamilies();
}

void Metrics::RegisterServingFamilies() {
  prometheus::Registry& r = *registry_;
  requests_ = &prometheus::BuildCounter()
                   .Name("jkoflow_requests_total")
                   .Help("RPCs finished, by method and gRPC status code.")
                   .Register(r);
  request_duration_ = &prometheus::BuildHistogram()
                           .Name("jkoflow_request_duration_seconds")
                           .Help("RPC latency by method.")
                           .Register(r);
  queue_depth_ = &prometheus::BuildGauge()
                      .Name("jkoflow_queue_depth")
                      .Help("Inference work items waiting for a batch.")
                      .Register(r)
                      .Add({});
  batch_points_ = &prometheus::BuildHistogram()
                       .Name("jkoflow_batch_points")
                       .Help("Points per executed inference batch.")
                       .Register(r)
                       .Add({}, ExponentialBuckets(1, 4, 11));
  batch_items_ = &prometheus::BuildHistogram()
                      .Name("jkoflow_batch_items")
                      .Help("Work items per executed inference batch.")
                      .Register(r)
                      .Add({}, ExponentialBuckets(1, 2, 9));
  samples_ = &prometheus::BuildCounter()
                  .Name("jkoflow_samples_total")
                  .Help("Points sampled, by model.")
                  .Register(r);
  loglik_points_ = &prometheus::BuildCounter()
                        .Name("jkoflow_loglik_points_total")
                        .Help("Points whose log-likelihood was computed.")
                        .Register(r);
}

void Metrics::RegisterModelFamilies() {
  prometheus::Registry& r = *registry_;
  models_loaded_ = &prometheus::BuildGauge()
                        .Name("jkoflow_models_loaded")
                        .Help("Model versions loaded and serving.")
                        .Register(r)
                        .Add({});
  model_load_seconds_ = &prometheus::BuildHistogram()
                             .Name("jkoflow_model_load_seconds")
                             .Help("Time to load one model version.")
                             .Register(r)
                             .Add({}, ExponentialBuckets(0.001, 4, 9));
  jobs_ = &prometheus::BuildGauge()
               .Name("jkoflow_jobs")
               .Help("Training jobs by state.")
               .Register(r);
  training_iterations_ = &prometheus::BuildCounter()
                              .Name("jkoflow_training_iterations_total")
                              .Help("Training iterations run.")
                              .Register(r)
                              .Add({});
  block_loss_ = &prometheus::BuildGauge()
                     .Name("jkoflow_block_loss")
                     .Help("Per-block loss terms of trained blocks.")
                     .Register(r);
  inversion_error_ = &prometheus::BuildGauge()
                          .Name("jkoflow_inversion_error")
                          .Help("End-to-end inversion error measured at load.")
                          .Register(r);
  block_diagnostic_ =
      &prometheus::BuildGauge()
           .Name("jkoflow_block_diagnostic")
           .Help(
               "Per-block diagnostics of loaded models (first-order "
               "residual, its floor, OT gap, Lipschitz, RK4 error, KL "
               "trajectory).")
           .Register(r);
}

Metrics::~Metrics() = default;

void Metrics::RecordRequest(absl::string_view method, grpc::StatusCode code,
                            double seconds) {
  const std::string m(method);
  requests_->Add({{"method", m}, {"code", CodeName(code)}}).Increment();
  request_duration_->Add({{"method", m}}, ExponentialBuckets(0.0005, 2, 17))
      .Observe(seconds);
}

void Metrics::SetQueueDepth(int64_t depth) {
  queue_depth_->Set(static_cast<double>(depth));
}

void Metrics::ObserveBatch(int64_t items, int64_t points) {
  batch_items_->Observe(static_cast<double>(items));
  batch_points_->Observe(static_cast<double>(points));
}

void Metrics::AddSamples(const std::string& model, int64_t points) {
  samples_->Add({{"model", model}}).Increment(static_cast<double>(points));
}

void Metrics::AddLogLikPoints(const std::string& model, int64_t points) {
  loglik_points_->Add({{"model", model}})
      .Increment(static_cast<double>(points));
}

void Metrics::SetModelsLoaded(int64_t count) {
  models_loaded_->Set(static_cast<double>(count));
}

void Metrics::ObserveModelLoadSeconds(double seconds) {
  model_load_seconds_->Observe(seconds);
}

void Metrics::SetInversionError(const std::string& model, double value) {
  inversion_error_->Add({{"model", model}}).Set(value);
}

void Metrics::SetJobs(const std::string& state, int64_t count) {
  jobs_->Add({{"state", state}}).Set(static_cast<double>(count));
}

void Metrics::AddTrainingIterations(int64_t iterations) {
  training_iterations_->Increment(static_cast<double>(iterations));
}

void Metrics::SetBlockLoss(const std::string& model, int64_t block,
                           const std::string& term, double value) {
  block_loss_
      ->Add({{"model", model}, {"block", absl::StrCat(block)}, {"term", term}})
      .Set(value);
}

void Metrics::SetBlockDiagnostic(const std::string& model, int64_t version,
                                 int64_t block, const std::string& quantity,
                                 double value) {
  block_diagnostic_
      ->Add({{"model", model},
             {"version", absl::StrCat(version)},
             {"block", absl::StrCat(block)},
             {"quantity", quantity}})
      .Set(value);
}

MetricsExposer::MetricsExposer(std::shared_ptr<prometheus::Collectable> process,
                               std::unique_ptr<prometheus::Exposer> exposer,
                               int port)
    : process_(std::move(process)), exposer_(std::move(exposer)), port_(port) {}

MetricsExposer::~MetricsExposer() = default;

absl::StatusOr<std::unique_ptr<MetricsExposer>> MetricsExposer::Create(
    const std::string& address, const Metrics& metrics) {
  ASSIGN_OR_RETURN(const HostPort parsed,
                   ParseHostPort(address, "--metrics_listen"));
  const std::string& host = parsed.host;
  const bool any_port = parsed.port == 0;
  std::unique_ptr<prometheus::Exposer> exposer;
  std::string error;
  // civetweb cannot bind port 0 itself: pick a free port and retry if
  // another process takes it first.
  for (int attempt = 0; attempt < (any_port ? 10 : 1) && exposer == nullptr;
       ++attempt) {
    std::string bind = address;
    if (any_port) {
      const int port = FreePort(host);
      if (port <= 0) break;
      bind = absl::StrCat(host, ":", port);
    }
    try {
      exposer = std::make_unique<prometheus::Exposer>(bind);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  if (exposer == nullptr) {
    return absl::UnavailableError(absl::StrCat(
        "--metrics_listen: cannot serve metrics on ", address, ": ", error));
  }
  exposer->RegisterCollectable(metrics.registry());
  auto process = std::make_shared<ProcessMetrics>();
  exposer->RegisterCollectable(process);
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(
        absl::StrCat("--metrics_listen: no port bound for ", address));
  }
  return std::unique_ptr<MetricsExposer>(new MetricsExposer(
      std::move(process), std::move(exposer), ports.front()));
}

}  // namespace jkoflow

// jkoflow-load: a closed-loop load generator for FlowService.Sample (and,
// with --mode=mixed, LogLikelihood). Each of --clients threads owns a
// jkoflow::Client and sends requests of --points points back to back;
// after --warmup_seconds it counts the points delivered for --seconds (or
// until every client has sent --requests requests) and prints one JSON
// line per figure, in the format of `jkoflow-bench --perf`:
//   grpc_sample_points_per_s, grpc_sample_latency_ms_p50,
//   grpc_sample_latency_ms_p99, grpc_sample_failed_requests.
// --mode=mixed alternates Sample and LogLikelihood (of fixed, seeded
// N(0, I) points) in every client and prints grpc_mixed_requests_per_s,
// grpc_mixed_latency_ms_p50 and _p99 (both kinds), grpc_mixed_sample_
// latency_ms_p99, grpc_mixed_loglik_latency_ms_p99 and
// grpc_mixed_failed_requests; a LogLikelihood answer of the wrong length
// or with a non-finite value counts as failed.
// Exits non-zero if any request failed. Links the client library only (no
// LibTorch), so it measures what a remote caller sees.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "client/client.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051",
          "jkoflow-server gRPC address host:port");
ABSL_FLAG(std::string, model, "perf", "model to sample from");
ABSL_FLAG(int64_t, version, 0, "model version; 0 → the newest loaded");
ABSL_FLAG(int32_t, clients, 16,
          "concurrent clients, each a thread with its own jkoflow::Client");
ABSL_FLAG(int64_t, points, 100,
          "points per Sample (and LogLikelihood) request");
ABSL_FLAG(std::string, mode, "sample",
          "sample: Sample requests only; mixed: Sample and LogLikelihood "
          "alternately in every client");
ABSL_FLAG(double, seconds, 10,
          "length of the measured window after the warm-up (ignored when "
          "--requests > 0)");
ABSL_FLAG(int64_t, requests, 0,
          "when > 0, each client sends exactly this many measured requests "
          "instead of running for --seconds");
ABSL_FLAG(double, warmup_seconds, 2,
          "requests sent before measuring (connections, first batches)");
ABSL_FLAG(uint64_t, seed, 1,
          "base seed; request r of client c uses seed + c × 2^32 + r");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(60),
          "deadline of each Sample call");
ABSL_FLAG(std::string, tag, "",
          "when not empty, added to each figure's config as \"tag\" (e.g. "
          "batching_on) so that runs can be told apart");

namespace jkoflow {
namespace {

using Clock = std::chrono::steady_clock;

// LoadConfig is what a figure was measured with.
struct LoadConfig {
  std::string model;
  int clients = 0;
  int64_t points = 0;
  double seconds = 0;  // the measured window
  double warmup_seconds = 0;
  int64_t requests = 0;  // requests completed in the window
  std::string mode;
  std::string tag;
};

void Print(const std::string& figure, double value, const std::string& unit,
           const LoadConfig& c) {
  const std::string tag =
      c.tag.empty() ? "" : absl::StrFormat(", \"tag\": \"%s\"", c.tag);
  std::printf(
      "{\"figure\": \"%s\", \"value\": %.6g, \"unit\": \"%s\", "
      "\"roofline_fraction\": null, \"config\": {\"model\": \"%s\", "
      "\"clients\": %d, \"points\": %d, \"seconds\": %.3f, "
      "\"warmup_seconds\": %.3f, \"requests\": %d, \"mode\": \"%s\"%s}}\n",
      figure.c_str(), value, unit.c_str(), c.model.c_str(), c.clients,
      static_cast<int>(c.points), c.seconds, c.warmup_seconds,
      static_cast<int>(c.requests), c.mode.c_str(), tag.c_str());
  std::fflush(stdout);
}

// Percentile() is the nearest-rank q-quantile of sorted `values`.
double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(q * static_cast<double>(sorted.size()));
  if (rank >= sorted.size()) rank = sorted.size() - 1;
  return sorted[rank];
}

// ClientTally is one client thread's count; only that thread writes it
// until it is joined.
struct ClientTally {
  int64_t measured_requests = 0;
  std::vector<double> latencies_ms;         // of the measured requests
  std::vector<double> loglik_latencies_ms;  // the LogLikelihood ones
  int64_t failed = 0;
  std::string first_error;
};

// NormalPoints() is `rows` seeded N(0, I) points of dimension `dim`.
PointMatrix NormalPoints(int64_t rows, int64_t dim, uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::normal_distribution<float> normal;
  PointMatrix points;
  points.rows = rows;
  points.cols = dim;
  points.values.resize(static_cast<size_t>(rows * dim));
  for (float& v : points.values) v = normal(engine);
  return points;
}

// OneRequest() sends request `r` of a client: a Sample, or in mixed mode
// every other one a LogLikelihood of `points`; an answer of the wrong
// size (or a non-finite log-likelihood) is DATA_LOSS.
absl::Status OneRequest(Client& client, const std::string& model,
                        int64_t version, int64_t n, uint64_t seed,
                        const PointMatrix* points) {
  if (points != nullptr) {
    absl::StatusOr<LogLikelihoodResult> result =
        client.LogLikelihood(model, version, *points);
    if (!result.ok()) return result.status();
    if (static_cast<int64_t>(result->log_prob.size()) != points->rows) {
      return absl::DataLossError("DATA_LOSS: wrong number of log_prob");
    }
    for (double v : result->log_prob) {
      if (!std::isfinite(v)) return absl::DataLossError("DATA_LOSS: NaN");
    }
    return absl::OkStatus();
  }
  absl::StatusOr<SampleResult> sample = client.Sample(model, version, n, seed);
  if (!sample.ok()) return sample.status();
  if (sample->points.rows != n) {
    return absl::DataLossError(absl::StrCat(
        "DATA_LOSS: asked for ", n, " points, got ", sample->points.rows));
  }
  return absl::OkStatus();
}

// LoadFlags are the command line's values.
struct LoadFlags {
  std::string model;
  int64_t version = 0;
  int clients = 0;
  int64_t points = 0;
  double seconds = 0;
  int64_t requests = 0;
  double warmup = 0;
  uint64_t seed = 0;
  std::string mode;
  bool mixed = false;
};

// ReadFlags() reads the flags; false (after saying why) when they are bad.
bool ReadFlags(LoadFlags& f) {
  f.model = absl::GetFlag(FLAGS_model);
  f.version = absl::GetFlag(FLAGS_version);
  f.clients = absl::GetFlag(FLAGS_clients);
  f.points = absl::GetFlag(FLAGS_points);
  f.seconds = absl::GetFlag(FLAGS_seconds);
  f.requests = absl::GetFlag(FLAGS_requests);
  f.warmup = absl::GetFlag(FLAGS_warmup_seconds);
  f.seed = absl::GetFlag(FLAGS_seed);
  f.mode = absl::GetFlag(FLAGS_mode);
  f.mixed = f.mode == "mixed";
  if (f.clients < 1 || f.points < 1 || f.warmup < 0 || f.requests < 0 ||
      (f.requests == 0 && f.seconds <= 0) || (!f.mixed && f.mode != "sample")) {
    std::cerr << "jkoflow-load: need --clients ≥ 1, --points ≥ 1, "
                 "--warmup_seconds ≥ 0, --seconds > 0 or --requests > 0, "
                 "and --mode sample or mixed\n";
    return false;
  }
  return true;
}

// Workload is what the client threads share: their clients and, in mixed
// mode, each one's LogLikelihood points (of the model's dimension).
struct Workload {
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<PointMatrix> loglik_points;
};

absl::StatusOr<Workload> MakeWorkload(const LoadFlags& f) {
  ClientOptions options;
  options.server = absl::GetFlag(FLAGS_server);
  options.timeout = absl::GetFlag(FLAGS_timeout);
  Workload w;
  for (int c = 0; c < f.clients; ++c) {
    ASSIGN_OR_RETURN(std::unique_ptr<Client> client, Client::Create(options));
    w.clients.push_back(std::move(client));
  }
  if (f.mixed) {
    ASSIGN_OR_RETURN(v1::ModelInfo info,
                     w.clients[0]->GetModel(f.model, f.version));
    for (int c = 0; c < f.clients; ++c) {
      w.loglik_points.push_back(NormalPoints(f.points, info.dim(), f.seed + c));
    }
  }
  return w;
}

// Timeline: warm-up from `start`, the measured window from `from` to
// `until` (in --requests mode it ends when the last client is done).
struct Timeline {
  Clock::time_point start, from, until;
};

Timeline MakeTimeline(const LoadFlags& f) {
  const auto span = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(s));
  };
  Timeline t;
  t.start = Clock::now();
  t.from = t.start + span(f.warmup);
  t.until = t.from + span(f.seconds);
  return t;
}

// ClientLoop() is client c's closed loop; it fills `tally` and the time
// its last measured request finished.
void ClientLoop(const LoadFlags& f, const Timeline& t, Workload& w, int c,
                ClientTally& tally, Clock::time_point& finished) {
  for (uint64_t r = 0;;) {
    const Clock::time_point sent = Clock::now();
    if (f.requests > 0
            ? (sent >= t.from && tally.measured_requests >= f.requests)
            : sent >= t.until) {
      return;
    }
    const bool loglik = f.mixed && (r + c) % 2 == 1;
    const uint64_t request_seed =
        f.seed + (static_cast<uint64_t>(c) << 32) + r++;
    const absl::Status status =
        OneRequest(*w.clients[c], f.model, f.version, f.points, request_seed,
                   loglik ? &w.loglik_points[c] : nullptr);
    const Clock::time_point done = Clock::now();
    if (!status.ok()) {
      // Client messages start with the gRPC code name.
      if (tally.failed++ == 0)
        tally.first_error = std::string(status.message());
      continue;
    }
    // Measured: a request sent in the window (--requests) or completed in
    // it (--seconds).
    const bool measured =
        f.requests > 0 ? sent >= t.from : done >= t.from && done <= t.until;
    if (!measured) continue;
    ++tally.measured_requests;
    const double ms =
        std::chrono::duration<double, std::milli>(done - sent).count();
    tally.latencies_ms.push_back(ms);
    if (loglik) tally.loglik_latencies_ms.push_back(ms);
    finished = done;
  }
}

// Totals are the clients' tallies together, latencies sorted.
struct Totals {
  ClientTally all;
  Clock::time_point last;
};

Totals Combine(const std::vector<ClientTally>& tallies,
               const std::vector<Clock::time_point>& finished,
               Clock::time_point from) {
  Totals t;
  t.last = from;
  for (size_t c = 0; c < tallies.size(); ++c) {
    const ClientTally& one = tallies[c];
    t.all.measured_requests += one.measured_requests;
    t.all.failed += one.failed;
    if (t.all.first_error.empty()) t.all.first_error = one.first_error;
    t.all.latencies_ms.insert(t.all.latencies_ms.end(),
                              one.latencies_ms.begin(), one.latencies_ms.end());
    t.all.loglik_latencies_ms.insert(t.all.loglik_latencies_ms.end(),
                                     one.loglik_latencies_ms.begin(),
                                     one.loglik_latencies_ms.end());
    t.last = std::max(t.last, finished[c]);
  }
  std::sort(t.all.latencies_ms.begin(), t.all.latencies_ms.end());
  std::sort(t.all.loglik_latencies_ms.begin(), t.all.loglik_latencies_ms.end());
  return t;
}

// PrintFigures() prints the run's JSON lines.
void PrintFigures(const LoadFlags& f, const ClientTally& all, double window) {
  LoadConfig config{f.model,  f.clients,
                    f.points, window,
                    f.warmup, all.measured_requests,
                    f.mode,   absl::GetFlag(FLAGS_tag)};
  const std::string prefix = f.mixed ? "grpc_mixed" : "grpc_sample";
  const double measured = static_cast<double>(all.measured_requests);
  if (f.mixed) {
    Print("grpc_mixed_requests_per_s", window > 0 ? measured / window : 0,
          "requests/s", config);
  } else {
    Print("grpc_sample_points_per_s",
          window > 0 ? measured * static_cast<double>(f.points) / window : 0,
          "points/s", config);
  }
  const std::vector<double>& latencies = all.latencies_ms;
  Print(prefix + "_latency_ms_p50", Percentile(latencies, 0.50), "ms", config);
  Print(prefix + "_latency_ms_p99", Percentile(latencies, 0.99), "ms", config);
  if (f.mixed) {
    std::vector<double> sample_latencies;
    std::set_difference(
        latencies.begin(), latencies.end(), all.loglik_latencies_ms.begin(),
        all.loglik_latencies_ms.end(), std::back_inserter(sample_latencies));
    Print("grpc_mixed_sample_latency_ms_p99",
          Percentile(sample_latencies, 0.99), "ms", config);
    Print("grpc_mixed_loglik_latency_ms_p99",
          Percentile(all.loglik_latencies_ms, 0.99), "ms", config);
  }
  Print(prefix + "_failed_requests", static_cast<double>(all.failed),
        "requests", config);
}

int Run() {
  LoadFlags f;
  if (!ReadFlags(f)) return 2;
  absl::StatusOr<Workload> workload = MakeWorkload(f);
  if (!workload.ok()) {
    std::cerr << "jkoflow-load: " << workload.status() << "\n";
    return 2;
  }
  const Timeline timeline = MakeTimeline(f);
  std::vector<ClientTally> tallies(f.clients);
  std::vector<Clock::time_point> finished(f.clients, timeline.from);
  std::vector<std::thread> threads;
  for (int c = 0; c < f.clients; ++c) {
    threads.emplace_back([&, c] {
      ClientLoop(f, timeline, *workload, c, tallies[c], finished[c]);
    });
  }
  for (std::thread& t : threads) t.join();
  const Totals totals = Combine(tallies, finished, timeline.from);
  const double window =
      f.requests > 0
          ? std::chrono::duration<double>(totals.last - timeline.from).count()
          : f.seconds;
  PrintFigures(f, totals.all, window);
  if (totals.all.failed > 0) {
    std::cerr << "jkoflow-load: " << totals.all.failed
              << " requests failed; first: " << totals.all.first_error << "\n";
    return 1;
  }
  if (totals.all.measured_requests == 0) {
    std::cerr << "jkoflow-load: no request completed in the measured window\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace jkoflow

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "closed-loop Sample load against a jkoflow-server; prints JSON "
      "figures.\nUsage: jkoflow-load --server=host:port --model=NAME "
      "[--clients=16 --points=100 --seconds=10 --warmup_seconds=2 "
      "--mode=sample|mixed]");
  const std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::cerr << "jkoflow-load: unexpected argument " << rest[1] << "\n";
    return 2;
  }
  return jkoflow::Run();
}
